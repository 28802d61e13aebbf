import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, PaneInfo } from "../model/index.js";
import { readInstant, writeInstant } from "./instant.js";
import { readPane, writePane } from "./pane-coder.js";
import { readWindows, writeWindows } from "./window-coders.js";
import { CoderUrns } from "./urns.js";

/**
 * A timer as Beam's Fn API carries it between runner and SDK: the user key, the dynamic
 * timer tag, the windows, and either a clear marker or the firing and hold timestamps
 * with the pane.
 */
export type TimerData<K> =
  | {
      readonly userKey: K;
      readonly dynamicTimerTag: string;
      readonly windows: readonly BoundedWindow[];
      readonly clearBit: true;
    }
  | {
      readonly userKey: K;
      readonly dynamicTimerTag: string;
      readonly windows: readonly BoundedWindow[];
      readonly clearBit: false;
      readonly fireTimestamp: Instant;
      readonly holdTimestamp: Instant;
      readonly pane: PaneInfo;
    };

class TimerCoder<K> implements Coder<TimerData<K>> {
  readonly urn = CoderUrns.timer;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    readonly keyCoder: Coder<K>,
    readonly windowCoder: Coder<BoundedWindow>,
  ) {
    this.components = [keyCoder, windowCoder];
    this.deterministic = keyCoder.deterministic && windowCoder.deterministic;
  }
  encode(timer: TimerData<K>, writer: ByteWriter): void {
    this.keyCoder.encode(timer.userKey, writer, true);
    writer.writeUtf8(timer.dynamicTimerTag, true);
    writeWindows(writer, this.windowCoder, timer.windows);
    writer.writeByte(timer.clearBit ? 1 : 0);
    if (timer.clearBit) return;
    writeInstant(writer, timer.fireTimestamp);
    writeInstant(writer, timer.holdTimestamp);
    writePane(writer, timer.pane);
  }
  decode(reader: ByteReader): TimerData<K> {
    const userKey = this.keyCoder.decode(reader, true);
    const dynamicTimerTag = reader.readUtf8(reader.readVarInt());
    const windows = readWindows(reader, this.windowCoder);
    if (reader.readByte() === 1) return { userKey, dynamicTimerTag, windows, clearBit: true };
    const fireTimestamp = readInstant(reader);
    const holdTimestamp = readInstant(reader);
    return { userKey, dynamicTimerTag, windows, clearBit: false, fireTimestamp, holdTimestamp, pane: readPane(reader) };
  }
  toString(): string {
    return `timer<${this.keyCoder.toString()}, ${this.windowCoder.toString()}>`;
  }
}

export function timerCoder<K>(keyCoder: Coder<K>, windowCoder: Coder<BoundedWindow>): Coder<TimerData<K>> {
  return new TimerCoder(keyCoder, windowCoder);
}
