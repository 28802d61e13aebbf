import type { ByteReader, ByteWriter, Coder, ValueWithTimestamp } from "../../model/index.js";
import { jsValueCoder } from "../../coders/index.js";
import type { StateSpec } from "../../transforms/index.js";
import { readCount } from "../reduce/reduce-snapshot.js";

/**
 * Writes and reads the stored form of one state cell (what state-accessors.ts keeps in
 * `StateEntry.cells`) with the coders its StateSpec declares, for checkpoints. Layout by
 * kind, every user value nested in its coder:
 *
 *   value        the value (the cell exists: written, possibly with undefined)
 *   bag          varint n, n × element
 *   combining    the accumulator (the CombineFn's accumulatorCoder)
 *   map          varint n, n × (key, value), in insertion order
 *   set          varint n, n × element, in insertion order
 *   orderedList  varint n, n × (double sort key, element), in sorted order
 *
 * A spec without a coder uses the JS value coder, which refuses what it cannot rebuild
 * (class instances), so a checkpoint never holds a value it would restore differently.
 */
export interface StateCellCodec {
  write(content: unknown, out: ByteWriter): void;
  read(input: ByteReader): unknown;
}

/** The codec of a cell declared by `spec`. */
export function stateCellCodec(spec: StateSpec<unknown>): StateCellCodec {
  switch (spec.kind) {
    case "value":
      return single(spec.coder ?? jsValueCoder);
    case "combining":
      return single(spec.combineFn.accumulatorCoder ?? jsValueCoder);
    case "bag":
      return listOf(spec.coder ?? jsValueCoder, (xs: unknown[]) => xs, (xs) => xs);
    case "set":
      return listOf(spec.coder ?? jsValueCoder, (s: Set<unknown>) => [...s], (xs) => new Set(xs));
    case "map": {
      const keyCoder = spec.keyCoder ?? jsValueCoder;
      const valueCoder = spec.valueCoder ?? jsValueCoder;
      return {
        write(content, out) {
          const m = content as Map<unknown, unknown>;
          out.writeVarInt(m.size);
          for (const [k, v] of m) {
            keyCoder.encode(k, out, true);
            valueCoder.encode(v, out, true);
          }
        },
        read(input) {
          const m = new Map<unknown, unknown>();
          const n = readCount(input, "the size of a map state");
          for (let i = 0; i < n; i++) {
            const k = keyCoder.decode(input, true);
            m.set(k, valueCoder.decode(input, true));
          }
          return m;
        },
      };
    }
    case "orderedList": {
      const coder = spec.coder ?? jsValueCoder;
      return {
        write(content, out) {
          const l = content as ValueWithTimestamp<unknown>[];
          out.writeVarInt(l.length);
          for (const { value, timestamp } of l) {
            out.writeDoubleBE(timestamp);
            coder.encode(value, out, true);
          }
        },
        read(input) {
          const l: ValueWithTimestamp<unknown>[] = [];
          const n = readCount(input, "the length of an ordered list state");
          for (let i = 0; i < n; i++) {
            const timestamp = input.readDoubleBE();
            l.push({ value: coder.decode(input, true), timestamp });
          }
          return l;
        },
      };
    }
  }
}

function single(coder: Coder<unknown>): StateCellCodec {
  return { write: (content, out) => coder.encode(content, out, true), read: (input) => coder.decode(input, true) };
}

/** A cell holding a collection written as its elements in order. */
function listOf<C>(coder: Coder<unknown>, toList: (content: C) => readonly unknown[], fromList: (xs: unknown[]) => C): StateCellCodec {
  return {
    write(content, out) {
      const xs = toList(content as C);
      out.writeVarInt(xs.length);
      for (const x of xs) coder.encode(x, out, true);
    },
    read(input) {
      const n = readCount(input, "the size of a bag or set state");
      const xs: unknown[] = [];
      for (let i = 0; i < n; i++) xs.push(coder.decode(input, true));
      return fromList(xs);
    },
  };
}
