// Beam groups by the encoded key: two keys are one key iff their encodings under the key
// coder are equal, and a group's key is the one its encoding decodes to. Checked through
// every keyed step of the embedded runner (GroupByKey, lifted Combine, stateful ParDo): in
// the table-backed stages a bounded batch job uses by default (also in small bundles with
// expanded composites), in the ReduceRunner (no memory budget), and through the disk.
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  StateSpecs,
  assertThat,
  combinePerKey,
  count,
  create,
  decodeFromBytes,
  deterministicJsValueCoder,
  doubleCoder,
  encodeToBytes,
  groupByKey,
  kv,
  kvCoder,
  map,
  statefulParDo,
  stringUtf8Coder,
  varIntCoder,
  type Coder,
  type KV,
} from "../src/index.js";
import { EMBEDDED_SPILLING, RUNNERS, runOn, type RunnerUnderTest } from "./conformance/runners.js";

/** The embedded runner with everything in memory: GroupByKey and Combine run in the ReduceRunner. */
const EMBEDDED_IN_MEMORY: RunnerUnderTest = { name: "embedded (memoryBudget=none)", options: { runner: "embedded", memoryBudget: "none" } };

/** A NaN whose payload (the low mantissa bits) is `payload`. */
function nanWithPayload(payload: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff80000);
  view.setUint32(4, payload);
  return view.getFloat64(0);
}

/**
 * A key as text that keeps what JS equality hides: -0 and lone surrogates. Not NaN
 * payloads: V8 may canonicalize a NaN stored into an array (ECMAScript lets an engine pick
 * any NaN's bits), so a decoded key's nested NaN need not keep its payload; keys that differ
 * by payload are still checked to stay apart, by the indices of their groups.
 */
function exact(k: unknown): string {
  if (typeof k === "number" && Number.isNaN(k)) return "number:NaN";
  if (typeof k === "number") {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, k);
    return `number:${view.getBigUint64(0).toString(16)}`;
  }
  if (typeof k === "string") return `string:${Array.from({ length: k.length }, (_, i) => k.charCodeAt(i).toString(16)).join(",")}`;
  if (k === null || typeof k !== "object") return `${typeof k}:${String(k)}`;
  if (Array.isArray(k)) return `[${k.map(exact).join(";")}]`;
  const record = k as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((name) => `${name}=${exact(record[name])}`)
    .join(";")}}`;
}

const trickyString = fc.string({ unit: fc.constantFrom("\uD800", "\uDC00", "\uFFFD", "\u0000", "\t", "a"), maxLength: 2 });
const trickyDouble = fc.oneof(fc.constantFrom(0, -0, 1, 0.5, NaN, -Infinity), fc.integer({ min: 0, max: 2 }).map(nanWithPayload));
const trickyJsValue = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(trickyString, trickyDouble, fc.boolean(), fc.constantFrom(null, undefined)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(trickyString, trickyDouble), { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "b"), trickyDouble, { maxKeys: 2 }) },
);

/** Key coders with keys of their type; `undefined`: the default (the JS value coder, deterministic for keys). */
const KEY_CODERS: ReadonlyArray<{ readonly name: string; readonly coder: Coder<unknown> | undefined; readonly keys: fc.Arbitrary<unknown> }> = [
  { name: "the default key coder", coder: undefined, keys: trickyJsValue },
  { name: "double", coder: doubleCoder as Coder<unknown>, keys: trickyDouble },
  { name: "string_utf8", coder: stringUtf8Coder as Coder<unknown>, keys: trickyString },
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** What Beam outputs per key: group by encoding, key decoded from it, with the group's element indices. */
function expectedGroups(keyCoder: Coder<unknown>, keys: readonly unknown[]): Map<string, { key: string; indices: number[] }> {
  const groups = new Map<string, { key: string; indices: number[] }>();
  keys.forEach((k, i) => {
    const bytes = encodeToBytes(keyCoder, k, true);
    const id = hex(bytes);
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = { key: exact(decodeFromBytes(keyCoder, bytes, true)), indices: [] }));
    g.indices.push(i);
  });
  return groups;
}

for (const runner of [...RUNNERS, EMBEDDED_IN_MEMORY, EMBEDDED_SPILLING]) {
  describe(`keys on ${runner.name}`, () => {
    for (const { name, coder, keys: keyArb } of KEY_CODERS) {
      it(`groups two keys together iff their encodings under ${name} are equal, and outputs the decoded key`, async () => {
        const keyCoder = coder ?? deterministicJsValueCoder;
        await fc.assert(
          fc.asyncProperty(fc.array(keyArb, { minLength: 1, maxLength: 8 }), async (keys) => {
            const groups = [...expectedGroups(keyCoder, keys).values()];
            await runOn(runner, (p) => {
              let keyed = p.apply(create(keys.map((_, i) => i))).apply(map((i: number) => kv(keys[i], i)));
              if (coder !== undefined) keyed = keyed.withCoder(kvCoder(coder, varIntCoder) as never);
              const grouped = keyed
                .apply(groupByKey<unknown, number>())
                .apply("Describe groups", map((e: KV<unknown, Iterable<number>>) => `${exact(e.key)} ${[...e.value].sort((a, b) => a - b).join(",")}`));
              assertThat(grouped, "GroupByKey").containsInAnyOrder(groups.map((g) => `${g.key} ${g.indices.join(",")}`));
              const counted = keyed
                .apply(combinePerKey(count()))
                .apply("Describe counts", map((e: KV<unknown, number>) => `${exact(e.key)} ${e.value}`));
              assertThat(counted, "Combine").containsInAnyOrder(groups.map((g) => `${g.key} ${g.indices.length}`));
              const expired = keyed.apply(
                statefulParDo({
                  state: { n: StateSpecs.combining(count()) },
                  process(_e: KV<unknown, number>, ctx) {
                    ctx.state.n.add(1);
                  },
                  onWindowExpiration(ctx) {
                    ctx.output(`${exact(ctx.key)} ${ctx.state.n.read()}`);
                  },
                }),
              );
              assertThat(expired, "StatefulParDo").containsInAnyOrder(groups.map((g) => `${g.key} ${g.indices.length}`));
            });
          }),
          { numRuns: 15 },
        );
      });
    }
  });
}
