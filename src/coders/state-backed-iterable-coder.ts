import type { ByteReader, ByteWriter, Coder } from "../model/index.js";
import { CoderError } from "../model/index.js";
import { BufferReader } from "./byte-buffer.js";
import { readIterableElements, writeCountedIterable } from "./structural.js";
import { CoderUrns } from "./urns.js";

/**
 * Reads the rest of a state-backed iterable: given the state token that followed the
 * inline elements, returns the bytes stored under the Fn API state key
 * `StateKey.Runner { key: token }`, i.e. the remaining elements, each nested in the
 * element coder, back to back (what a state `get` returns, all continuation pages joined).
 *
 * @example
 * const state = new Map([["t", new Uint8Array([1, 10])]]); // varints 1 and 10
 * const read: IterableStateReader = (token) => state.get(new TextDecoder().decode(token)) ?? new Uint8Array();
 */
export type IterableStateReader = (token: Uint8Array) => Uint8Array;

/**
 * Beam's state-backed iterable coder (Java's StateBackedIterable.Coder, Python's
 * IterableCoderImpl with `read_state`). Runners use it for iterables too large to send
 * inline, e.g. the values of a hot key after GroupByKey: the unknown-length iterable form
 * (count -1, varint-counted blocks) whose terminator is -1 instead of 0, followed by a
 * length-prefixed state token under which the runner keeps the remaining elements.
 *
 * Decoding joins the inline elements and those `readState` returns into one array (our
 * coders are synchronous, so the suffix is read eagerly rather than lazily as Java does).
 * Encoding writes the counted form, as Java does for an iterable it did not decode from
 * state and Python does without a state writer: this coder never writes to state.
 */
class StateBackedIterableCoder<T> implements Coder<Iterable<T>> {
  readonly urn = CoderUrns.stateBackedIterable;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    readonly elementCoder: Coder<T>,
    private readonly readState: IterableStateReader | undefined,
  ) {
    this.components = [elementCoder];
    this.deterministic = elementCoder.deterministic;
  }

  encode(value: Iterable<T>, writer: ByteWriter): void {
    writeCountedIterable("state_backed_iterable", this.elementCoder, value, writer);
  }

  decode(reader: ByteReader): T[] {
    const out: T[] = [];
    const terminator = readIterableElements(reader, this.elementCoder, out);
    if (terminator === 0) return out;
    if (terminator !== -1) {
      throw new CoderError(`state_backed_iterable coder read the block terminator ${terminator}; Beam writes 0 (end) or -1 (a state token follows).`);
    }
    const token = reader.readBytes(reader.readVarInt());
    if (this.readState === undefined) {
      throw new CoderError(
        `state_backed_iterable coder read a state token after ${out.length} elements but has no state reader; build it with coderFromSpec(spec, { readIterableState }) or stateBackedIterableCoder(elementCoder, readState).`,
      );
    }
    const suffix = new BufferReader(this.readState(token));
    while (suffix.remaining > 0) {
      const before = suffix.remaining;
      out.push(this.elementCoder.decode(suffix, true));
      if (suffix.remaining === before) {
        throw new CoderError(`The element coder ${this.elementCoder.toString()} read no bytes from a state-backed iterable's state; its elements cannot be delimited.`);
      }
    }
    return out;
  }

  toString(): string {
    return `state_backed_iterable<${this.elementCoder.toString()}>`;
  }
}

/**
 * The coder of `beam:coder:state_backed_iterable:v1` over `elementCoder`. Without
 * `readState` it decodes iterables sent whole and throws a CoderError at a state token.
 *
 * @example
 * const coder = stateBackedIterableCoder(varIntCoder, read); // `read` as in IterableStateReader
 * // Unknown length (-1), a block of one element (5), terminator -1, the token "t":
 * const bytes = new Uint8Array([255, 255, 255, 255, 1, 5, ...new Array<number>(9).fill(255), 1, 1, 116]);
 * decodeFromBytes(coder, bytes); // [5, 1, 10]
 */
export function stateBackedIterableCoder<T>(elementCoder: Coder<T>, readState?: IterableStateReader): Coder<Iterable<T>> {
  return new StateBackedIterableCoder(elementCoder, readState);
}
