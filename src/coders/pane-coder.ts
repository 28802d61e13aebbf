import type { ByteReader, ByteWriter, PaneInfo, PaneTiming } from "../model/index.js";
import { CoderError, paneInfo } from "../model/index.js";

/**
 * Beam's PaneInfoCoder. One byte: the low nibble holds isFirst (1), isLast (2) and the
 * timing (<< 2: EARLY 0, ON_TIME 1, LATE 2, UNKNOWN 3); the high nibble says which
 * indices follow as varints: none (first pane), the index, or index and on-time index.
 */
const TIMINGS: readonly PaneTiming[] = ["EARLY", "ON_TIME", "LATE", "UNKNOWN"];
const FIRST = 0;
const ONE_INDEX = 1;
const TWO_INDICES = 2;

export function writePane(writer: ByteWriter, pane: PaneInfo): void {
  const low = (pane.isFirst ? 1 : 0) | (pane.isLast ? 2 : 0) | (TIMINGS.indexOf(pane.timing) << 2);
  if (pane.isFirst) {
    writer.writeByte(low | (FIRST << 4));
  } else if (pane.index === pane.nonSpeculativeIndex || pane.timing === "EARLY") {
    writer.writeByte(low | (ONE_INDEX << 4));
    writer.writeVarInt(pane.index);
  } else {
    writer.writeByte(low | (TWO_INDICES << 4));
    writer.writeVarInt(pane.index);
    writer.writeVarInt(pane.nonSpeculativeIndex);
  }
}

export function readPane(reader: ByteReader): PaneInfo {
  const b = reader.readByte();
  const isFirst = (b & 1) !== 0;
  const isLast = (b & 2) !== 0;
  const timing = TIMINGS[(b >> 2) & 3] as PaneTiming;
  switch (b >> 4) {
    case FIRST:
      return paneInfo(isFirst, isLast, timing, 0, timing === "EARLY" ? -1 : 0);
    case ONE_INDEX: {
      const index = reader.readVarInt();
      return paneInfo(isFirst, isLast, timing, index, timing === "EARLY" ? -1 : index);
    }
    case TWO_INDICES: {
      const index = reader.readVarInt();
      return paneInfo(isFirst, isLast, timing, index, reader.readVarInt());
    }
    default:
      throw new CoderError(`Unknown pane encoding ${b >> 4} in pane byte ${b}.`);
  }
}
