import { describe, expect, it } from "vitest";
import { decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
import { bytesCoder, varIntCoder } from "./primitives.js";
import { stateBackedIterableCoder, type IterableStateReader } from "./state-backed-iterable-coder.js";
import { iterableCoder } from "./structural.js";

const state = new Map([["t", new Uint8Array([1, 10])]]); // varints 1 and 10
const read: IterableStateReader = (token) => state.get(new TextDecoder().decode(token)) ?? new Uint8Array();
const MINUS_ONE_INT32 = [255, 255, 255, 255];
const MINUS_ONE_VARINT = [...new Array<number>(9).fill(255), 1];
/** Unknown length, a block of one element (5), terminator -1, the token "t". */
const withToken = new Uint8Array([...MINUS_ONE_INT32, 1, 5, ...MINUS_ONE_VARINT, 1, 116]);

describe("stateBackedIterableCoder", () => {
  it("joins the inline elements and those stored under the state token", () => {
    expect(decodeFromBytes(stateBackedIterableCoder(varIntCoder, read), withToken)).toEqual([5, 1, 10]);
  });

  it("reads iterables sent whole without a state reader, and fails loudly at a token", () => {
    const coder = stateBackedIterableCoder(varIntCoder);
    expect(decodeFromBytes(coder, new Uint8Array([0, 0, 0, 2, 1, 2]))).toEqual([1, 2]);
    expect(decodeFromBytes(coder, new Uint8Array([...MINUS_ONE_INT32, 2, 1, 2, 0]))).toEqual([1, 2]);
    expect(() => decodeFromBytes(coder, withToken)).toThrow(/no state reader.*readIterableState/);
  });

  it("writes the counted form, as an iterable coder does", () => {
    const coder = stateBackedIterableCoder(bytesCoder);
    const values = [new Uint8Array([1]), new Uint8Array([2, 3])];
    expect(encodeToBytes(coder, values)).toEqual(encodeToBytes(iterableCoder(bytesCoder), values));
  });

  it("rejects a terminator other than 0 or -1", () => {
    const minusTwo = new Uint8Array([...MINUS_ONE_INT32, 0xfe, ...new Array<number>(8).fill(255), 1]);
    expect(() => decodeFromBytes(stateBackedIterableCoder(varIntCoder, read), minusTwo)).toThrow(/terminator -2/);
  });

  it("is not what a plain iterable coder reads: a state token there is an error, not a silent stop", () => {
    expect(() => decodeFromBytes(iterableCoder(varIntCoder), withToken)).toThrow(/terminator -1.*state_backed_iterable/);
  });
});
