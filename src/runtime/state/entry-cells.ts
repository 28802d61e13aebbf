import { BufferWriter } from "../../coders/index.js";
import type { ByteReader, ByteWriter } from "../../model/index.js";
import type { StateSpecMap } from "../../transforms/index.js";
import { corruptSnapshot, readCount } from "../reduce/reduce-snapshot.js";
import { stateCellCodec, type StateCellCodec } from "./state-cell-codec.js";

/**
 * The cells of one state entry as bytes: what a checkpoint writes after an entry's key and
 * window, and what the cold tier keeps on disk for an evicted entry (the same bytes, so a
 * snapshot copies a cold entry's record as it is). Layout:
 *
 *   varint cells, cells × (varint name position, varint content length, content)
 *
 * where the position refers to the DoFn's state names sorted (`names`), and the content is
 * state-cell-codec.ts's. Cells are written in the entry's order, so reading them back gives
 * the same order and writing them again the same bytes.
 */
export class EntryCellsCodec {
  /** The declared state names, sorted: a snapshot's name table. */
  readonly names: readonly string[];
  readonly codecs: ReadonlyMap<string, StateCellCodec>;
  private readonly position: ReadonlyMap<string, number>;
  private readonly byPosition: readonly StateCellCodec[];
  private readonly scratch = new BufferWriter();

  constructor(specs: StateSpecMap) {
    this.names = Object.keys(specs).sort();
    this.codecs = new Map(this.names.map((name) => [name, stateCellCodec(specs[name]!)]));
    this.position = new Map(this.names.map((name, i) => [name, i]));
    this.byPosition = this.names.map((name) => this.codecs.get(name)!);
  }

  write(cells: ReadonlyMap<string, unknown>, out: ByteWriter): void {
    const { position, codecs, scratch } = this;
    out.writeVarInt(cells.size);
    for (const [name, content] of cells) {
      const at = position.get(name);
      if (at === undefined) throw new Error(`internal error: state "${name}" is not declared by the DoFn`);
      out.writeVarInt(at);
      // The content is encoded first to learn its length; the scratch writer is reused,
      // so nothing here may call `write` again before the bytes are copied.
      scratch.reset();
      codecs.get(name)!.write(content, scratch);
      out.writeVarInt(scratch.length);
      out.writeBytes(scratch.written());
    }
  }

  /** Reads what `write` wrote (with this codec's names) into the empty `cells`. */
  read(input: ByteReader, cells: Map<string, unknown>): void {
    const n = readCount(input, "the number of an entry's state cells");
    for (let c = 0; c < n; c++) {
      const at = input.readVarInt();
      const codec = this.byPosition[at];
      if (codec === undefined) throw corruptSnapshot(`a state cell refers to name ${at} of ${this.names.length}`);
      const length = readCount(input, `the length of state "${this.names[at]}"`);
      const start = input.position;
      cells.set(this.names[at]!, codec.read(input));
      if (input.position - start !== length) throw corruptSnapshot(`state "${this.names[at]}" read ${input.position - start} byte(s) of its ${length}`);
    }
  }
}
