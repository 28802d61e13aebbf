import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  BufferReader,
  BufferWriter,
  CoderUrns,
  coderFromSpec,
  decodeSchemaProto,
  type CoderSpec,
  type FieldType,
  type Schema,
} from "../../src/coders/index.js";
import { sharedData } from "../shared-data.js";
import { GLOBAL_WINDOW, IntervalWindow, paneInfo, type Coder, type PaneTiming } from "../../src/model/index.js";

/**
 * Runs Beam's cross-SDK coder vectors (shared/testdata/standard_coders.yaml): every example
 * must decode to the expected value and, unless the section is non-deterministic, the
 * expected value must encode to exactly the example bytes. Sections without `nested` are
 * checked in both contexts, as Beam's own runners of this file do.
 */
const VECTORS = sharedData("testdata/standard_coders.yaml");

/** URNs in the file that we do not implement, with the reason. Empty: all are supported. */
const SKIPPED: Readonly<Record<string, string>> = {};

interface YamlCoder {
  urn: string;
  components?: YamlCoder[];
  payload?: string;
  non_deterministic?: boolean;
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

/** A 64-bit integer from the file: a number when exact, else a bigint. */
function int64(x: unknown): number | bigint {
  const big = BigInt(x as bigint);
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

function window(x: unknown): unknown {
  if (x === "global") return GLOBAL_WINDOW;
  const w = x as { end: bigint; span: bigint };
  return new IntervalWindow(num(w.end) - num(w.span), num(w.end));
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
      return (x as unknown[]).map((e) => expected(at(0), e));
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
        case "FLOAT":
          return Number.parseFloat(x as string);
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
      return fieldValue(t.representation, x);
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

describe("Beam standard coder vectors", () => {
  it("reads every section of the file", () => {
    expect(sections.length).toBeGreaterThan(25);
  });

  sections.forEach((section, i) => {
    const { coder: yamlCoder } = section;
    const skipped = SKIPPED[yamlCoder.urn];
    if (skipped !== undefined) return;
    const label = `section ${i}: ${yamlCoder.urn}${yamlCoder.components ? `<${yamlCoder.components.map((c) => c.urn.split(":")[2]).join(", ")}>` : ""}`;
    const contexts = section.nested === undefined ? [false, true] : [section.nested];
    describe(label, () => {
      const coder = coderFromSpec(toSpec(yamlCoder));
      let n = 0;
      for (const [bytesText, yamlValue] of section.examples) {
        const bytes = latin1(bytesText);
        const value = expected(yamlCoder, yamlValue);
        for (const nested of contexts) {
          it(`example ${n} (${nested ? "nested" : "outer"} context)`, () => {
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
