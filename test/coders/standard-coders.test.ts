import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  BufferReader,
  BufferWriter,
  CoderUrns,
  LogicalTypeUrns,
  coderFromSpec,
  decodeSchemaProto,
  parseBigDecimal,
  type CoderSpec,
  type FieldType,
  type IterableStateReader,
  type Schema,
} from "../../src/coders/index.js";
import { sharedData } from "../shared-data.js";
import { GLOBAL_WINDOW, IntervalWindow, paneInfo, type Coder, type PaneTiming } from "../../src/model/index.js";

/**
 * Runs Beam's cross-SDK coder vectors (shared/testdata/standard_coders-2.73.0.yaml, the
 * standard_coders.yaml of beam-model-fn-execution 2.73.0): every example must decode to
 * the expected value and, unless the section is non-deterministic, the expected value must
 * encode to exactly the example bytes. Sections without `nested` are checked in both
 * contexts, as Beam's own runners of this file do.
 */
const VECTORS = sharedData("testdata/standard_coders-2.73.0.yaml");

/** Documents (sections) in the 2.73.0 file. */
const SECTIONS = 42;

/**
 * URNs in the file that beam-ts deliberately does not implement, with the reason. Their
 * examples still run, and fail: the goal is an empty list. Empty: all are implemented.
 */
const NOT_IMPLEMENTED: Readonly<Record<string, string>> = {};

interface YamlCoder {
  urn: string;
  components?: YamlCoder[];
  payload?: string;
  non_deterministic?: boolean;
  /** state_backed_iterable: state token → the encoded elements stored under it. */
  state?: Record<string, string>;
}

interface Section {
  coder: YamlCoder;
  nested?: boolean;
  examples: Map<string, unknown>;
}

/** YAML strings here hold one byte per character. */
const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

function toSpec(c: YamlCoder): CoderSpec {
  return {
    urn: c.urn,
    components: (c.components ?? []).map(toSpec),
    ...(c.payload === undefined ? {} : { payload: latin1(c.payload) }),
  };
}

function num(x: unknown): number {
  return typeof x === "bigint" ? Number(x) : (x as number);
}

/** A 64-bit integer from the file: rows hold INT64s as bigints. */
function int64(x: unknown): bigint {
  return BigInt(x as bigint);
}

function window(x: unknown): unknown {
  if (x === "global") return GLOBAL_WINDOW;
  const w = x as { end: bigint; span: bigint };
  return new IntervalWindow(num(w.end) - num(w.span), num(w.end));
}

/**
 * The state a section gives its state-backed iterables, served as Python's
 * standard_coders_test.py and Java's CommonCoderTest do: the bytes under a token.
 */
function stateReader(c: YamlCoder): IterableStateReader | undefined {
  const state = c.state;
  if (state === undefined) return undefined;
  return (token) => {
    const key = Buffer.from(token).toString("latin1");
    const bytes = state[key];
    if (bytes === undefined) throw new Error(`The section has no state for token "${key}".`);
    return latin1(bytes);
  };
}

function pane(x: unknown): unknown {
  const p = x as { is_first: boolean; is_last: boolean; timing: PaneTiming; index: bigint; on_time_index: bigint };
  return paneInfo(p.is_first, p.is_last, p.timing, num(p.index), num(p.on_time_index));
}

/** Converts a value as the file writes it into the value our coder produces. */
function expected(c: YamlCoder, x: unknown): unknown {
  const parts = c.components ?? [];
  const at = (i: number): YamlCoder => parts[i] as YamlCoder;
  switch (c.urn) {
    case CoderUrns.bytes:
      return utf8(x as string);
    case CoderUrns.stringUtf8:
    case CoderUrns.bool:
      return x;
    case CoderUrns.varint:
      return num(x);
    case CoderUrns.double:
      return Number.parseFloat(x as string);
    case CoderUrns.kv: {
      const { key, value } = x as { key: unknown; value: unknown };
      return { key: expected(at(0), key), value: expected(at(1), value) };
    }
    case CoderUrns.iterable:
    case CoderUrns.stateBackedIterable:
      return (x as unknown[]).map((e) => expected(at(0), e));
    case CoderUrns.nullable:
      return x === null ? null : expected(at(0), x);
    case CoderUrns.shardedKey: {
      const k = x as { shardId: string; key: unknown };
      return { shardId: utf8(k.shardId), key: expected(at(0), k.key) };
    }
    case CoderUrns.customWindow:
      // As Python's and Java's runners of the file: the window the component coder decodes.
      return expected(at(0), (x as { window: unknown }).window);
    case CoderUrns.globalWindow:
      return GLOBAL_WINDOW;
    case CoderUrns.intervalWindow:
      return window(x);
    case CoderUrns.windowedValue:
    case CoderUrns.paramWindowedValue: {
      const v = x as { value: unknown; timestamp: bigint; pane: unknown; windows: unknown[] };
      return {
        value: expected(at(0), v.value),
        timestamp: num(v.timestamp),
        windows: v.windows.map(window),
        pane: pane(v.pane),
      };
    }
    case CoderUrns.timer: {
      const t = x as Record<string, unknown>;
      const base = {
        userKey: expected(at(0), t["userKey"]),
        dynamicTimerTag: t["dynamicTimerTag"],
        windows: (t["windows"] as unknown[]).map(window),
        clearBit: t["clearBit"],
      };
      if (t["clearBit"] === true) return base;
      return { ...base, fireTimestamp: num(t["fireTimestamp"]), holdTimestamp: num(t["holdTimestamp"]), pane: pane(t["pane"]) };
    }
    case CoderUrns.row:
      return rowValue(decodeSchemaProto(latin1(c.payload ?? "")), x as Record<string, unknown>);
    default:
      throw new Error(`no value conversion for ${c.urn}`);
  }
}

function rowValue(schema: Schema, x: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) out[f.name] = fieldValue(f.type, x[f.name]);
  return out;
}

function fieldValue(t: FieldType, x: unknown): unknown {
  if (x === null || x === undefined) return null;
  switch (t.kind) {
    case "atomic":
      switch (t.type) {
        case "DOUBLE":
          return Number.parseFloat(x as string);
        case "FLOAT":
          // A 32-bit float: the nearest one to the decimal text (Go's runner parses at 32 bits).
          return Math.fround(Number.parseFloat(x as string));
        case "INT64":
          return int64(x);
        case "BYTE":
        case "INT16":
        case "INT32":
          return num(x);
        case "BYTES":
          return utf8(x as string);
        default:
          return x;
      }
    case "array":
    case "iterable":
      return (x as unknown[]).map((e) => fieldValue(t.element, e));
    case "map":
      return new Map(Object.entries(x as object).map(([k, v]) => [fieldValue(t.key, k), fieldValue(t.value, v)]));
    case "row":
      return rowValue(t.schema, x as Record<string, unknown>);
    case "logical":
      // The file writes logical values as their representation; convert those whose
      // values differ, as Python's runner does with the logical type's to_language_type.
      switch (t.urn) {
        case LogicalTypeUrns.millisInstant:
          // The representation is the InstantCoder's raw 64 bits: millis + 2^63 (mod 2^64).
          return Number(BigInt.asIntN(64, BigInt(x as bigint) - (1n << 63n)));
        case LogicalTypeUrns.decimal:
          return parseBigDecimal(x as string);
        case LogicalTypeUrns.microsInstant: {
          // A bigint of microseconds since the epoch (Python's Timestamp.micros).
          const r = x as { seconds: bigint; micros: bigint };
          return BigInt(r.seconds) * 1_000_000n + BigInt(r.micros);
        }
        default:
          return fieldValue(t.representation, x);
      }
  }
}

function encode(coder: Coder<unknown>, value: unknown, nested: boolean): Uint8Array {
  const w = new BufferWriter();
  coder.encode(value, w, nested);
  return w.finish();
}

function decode(coder: Coder<unknown>, bytes: Uint8Array, nested: boolean): unknown {
  const r = new BufferReader(bytes);
  const v = coder.decode(r, nested);
  expect(r.remaining, "bytes left over after decoding").toBe(0);
  return v;
}

const sections: Section[] = parseAllDocuments(readFileSync(VECTORS, "utf8"), { intAsBigInt: true })
  .map((d) => d.toJS({ mapAsMap: false }) as Record<string, unknown> | null)
  .filter((d): d is Record<string, unknown> => d !== null)
  .map((d) => ({
    coder: d["coder"] as YamlCoder,
    ...(typeof d["nested"] === "boolean" ? { nested: d["nested"] } : {}),
    examples: new Map(Object.entries(d["examples"] as Record<string, unknown>)),
  }));

/** Every URN in a coder spec, the coder's own and its components'. */
function urnsOf(c: YamlCoder): string[] {
  return [c.urn, ...(c.components ?? []).flatMap(urnsOf)];
}

describe("Beam standard coder vectors", () => {
  it("reads every section of the file", () => {
    expect(sections.length).toBe(SECTIONS);
  });

  sections.forEach((section, i) => {
    const { coder: yamlCoder } = section;
    const label = `section ${i}: ${yamlCoder.urn}${yamlCoder.components ? `<${yamlCoder.components.map((c) => c.urn.split(":")[2]).join(", ")}>` : ""}`;
    const contexts = section.nested === undefined ? [false, true] : [section.nested];
    describe(label, () => {
      // A coder we do not implement, or cannot build, fails each of its examples.
      const missing = urnsOf(yamlCoder).find((u) => NOT_IMPLEMENTED[u] !== undefined);
      let coder: Coder<unknown> | undefined;
      let buildError: unknown;
      if (missing === undefined) {
        try {
          const readIterableState = stateReader(yamlCoder);
          coder = coderFromSpec(toSpec(yamlCoder), readIterableState === undefined ? {} : { readIterableState });
        } catch (e) {
          buildError = e;
        }
      }
      let n = 0;
      for (const [bytesText, yamlValue] of section.examples) {
        const bytes = latin1(bytesText);
        for (const nested of contexts) {
          it(`example ${n} (${nested ? "nested" : "outer"} context)`, () => {
            if (missing !== undefined) expect.fail(`${missing} is not implemented: ${NOT_IMPLEMENTED[missing]}`);
            if (coder === undefined) throw buildError;
            const value = expected(yamlCoder, yamlValue);
            expect(decode(coder, bytes, nested)).toEqual(value);
            if (yamlCoder.non_deterministic !== true) {
              expect(Buffer.from(encode(coder, value, nested)).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
            }
          });
        }
        n++;
      }
    });
  });
});
