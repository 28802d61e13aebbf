// Joins and groups checked against plain references over random rows with NULL keys and
// duplicates: a join's output equals a nested loop's (NULL keys matching nothing, as in
// SQL), a group's aggregates equal a fold per key, on every embedded runner configuration
// (including small bundles with expanded composites, so lifting and merging run).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertThat,
  coGroup,
  ConstructionError,
  count,
  create,
  group,
  join,
  map,
  Pipeline,
  schema,
  sum,
  t,
  type JoinType,
  type PCollection,
  type RowOf,
} from "../../src/index.js";
import { RUNNERS, runOn } from "../conformance/runners.js";

const Left = schema({ id: t.int32().nullable(), k2: t.string(), l: t.int32() }, { name: "Left" });
const Right = schema({ id: t.int32().nullable(), k2: t.string(), r: t.int32() }, { name: "Right" });
type L = RowOf<typeof Left>;
type R = RowOf<typeof Right>;

const key = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null });
const k2 = fc.constantFrom("a", "b");
// Spread into plain objects: fast-check's records have no prototype, which deep equality would see.
const lefts = fc.array(fc.record({ id: key, k2, l: fc.integer({ min: 0, max: 99 }) }).map((r) => ({ ...r })), { maxLength: 8 });
const rights = fc.array(fc.record({ id: key, k2, r: fc.integer({ min: 0, max: 99 }) }).map((r) => ({ ...r })), { maxLength: 8 });

/** The reference join: a nested loop; a null in a key matches nothing. */
function nestedLoop(ls: readonly L[], rs: readonly R[], type: JoinType, fields: readonly ("id" | "k2")[]): { lhs: L | null; rhs: R | null }[] {
  const match = (l: L, r: R) => fields.every((f) => l[f] !== null && r[f] !== null && l[f] === r[f]);
  const out: { lhs: L | null; rhs: R | null }[] = [];
  for (const l of ls) for (const r of rs) if (match(l, r)) out.push({ lhs: l, rhs: r });
  if (type === "leftOuter" || type === "fullOuter") for (const l of ls) if (!rs.some((r) => match(l, r))) out.push({ lhs: l, rhs: null });
  if (type === "rightOuter" || type === "fullOuter") for (const r of rs) if (!ls.some((l) => match(l, r))) out.push({ lhs: null, rhs: r });
  return out;
}

const TYPES: readonly JoinType[] = ["inner", "leftOuter", "rightOuter", "fullOuter"];

for (const runner of RUNNERS) {
  describe(`schema joins and groups on ${runner.name}`, () => {
    it("joins equal a nested loop for every join type, on one and on two fields, co-grouped and broadcast", async () => {
      await fc.assert(
        fc.asyncProperty(lefts, rights, async (ls, rs) => {
          await runOn(runner, (p) => {
            const lhs = p.apply("Left", create<unknown>(ls)).withSchema(Left);
            const rhs = p.apply("Right", create<unknown>(rs)).withSchema(Right);
            for (const type of TYPES) {
              assertThat(join(lhs, rhs, { type, name: `Join(${type})` }).on("id"), `${type} on id`).containsInAnyOrder(nestedLoop(ls, rs, type, ["id"]));
              assertThat(join(lhs, rhs, { type, name: `Join2(${type})` }).on({ left: ["id", "k2"], right: ["id", "k2"] }), `${type} on id, k2`).containsInAnyOrder(
                nestedLoop(ls, rs, type, ["id", "k2"]),
              );
            }
            for (const type of ["inner", "leftOuter"] as const) {
              const broadcast: PCollection<{ readonly lhs: L | null; readonly rhs: R | null }> = join(lhs, rhs, { type, broadcast: true, name: `Broadcast(${type})` }).on("id");
              assertThat(broadcast, `broadcast ${type}`).containsInAnyOrder(nestedLoop(ls, rs, type, ["id"]));
            }
          });
        }),
        { numRuns: 12 },
      );
    });

    it("groups' aggregates equal a fold per key, NULL keys forming one group", async () => {
      await fc.assert(
        fc.asyncProperty(lefts, async (ls) => {
          const expected = new Map<string, { id: number | null; k2: string; total: number; n: bigint }>();
          for (const l of ls) {
            const k = `${l.id}|${l.k2}`;
            const g = expected.get(k) ?? { id: l.id, k2: l.k2, total: 0, n: 0n };
            expected.set(k, { ...g, total: g.total + l.l, n: g.n + 1n });
          }
          await runOn(runner, (p) => {
            const rows = p.apply(create<unknown>(ls)).withSchema(Left);
            const grouped = rows.apply(group.of(Left).byFields("id", "k2").aggregateField("l", sum(), "total").aggregateField("l", count(), "n"));
            assertThat(grouped, "byFields").containsInAnyOrder([...expected.values()].map(({ id, k2, total, n }) => ({ key: { id, k2 }, value: { total, n } })));
            const all = rows.apply("Globally", group.of(Left).globally().aggregateField("l", sum(), "total"));
            assertThat(all, "globally").containsInAnyOrder([{ total: ls.reduce((a, l) => a + l.l, 0) }]);
          });
        }),
        { numRuns: 12 },
      );
    });
  });
}

describe("schema joins", () => {
  it("types the output rows as { lhs, rhs }, nullable on the sides an outer join keeps unmatched", async () => {
    await runOn(RUNNERS[0]!, (p) => {
      const lhs = p.apply("Left", create<unknown>([{ id: 1, k2: "a", l: 1 }])).withSchema(Left);
      const rhs = p.apply("Right", create<unknown>([{ id: 2, k2: "a", r: 2 }])).withSchema(Right);
      const full = join(lhs, rhs, { type: "fullOuter" }).on("id");
      const schemaOf = (pc: unknown) => (pc as { coder: { schema: { fields: { name: string; type: { nullable?: boolean } }[] } } }).coder.schema.fields.map((f) => `${f.name}${f.type.nullable === true ? "?" : ""}`);
      expect(schemaOf(full)).toEqual(["lhs?", "rhs?"]);
      expect(schemaOf(join(lhs, rhs, { type: "leftOuter", name: "LeftJoin" }).on("id"))).toEqual(["lhs", "rhs?"]);
      expect(schemaOf(join(lhs, rhs, { name: "InnerJoin" }).on("id"))).toEqual(["lhs", "rhs"]);
      assertThat(full.apply(map((j) => `${j.lhs?.l ?? "-"}/${j.rhs?.r ?? "-"}`))).containsInAnyOrder(["1/-", "-/2"]);
    });
  });

  it("refuses a broadcast outer join on the right, key fields of different types and a missing schema", () => {
    const p = new Pipeline({ runner: "embedded" });
    const lhs = p.apply("Left", create<unknown>([])).withSchema(Left);
    const rhs = p.apply("Right", create<unknown>([])).withSchema(Right);
    expect(() => join(lhs, rhs, { type: "rightOuter", broadcast: true })).toThrow(/can only be "inner" or "leftOuter"/);
    expect(() => join(lhs, rhs).on({ left: "id", right: "k2" })).toThrow(ConstructionError);
    expect(() => join(lhs, rhs, { name: "J2" }).on({ left: "id", right: "k2" })).toThrow(/the join fields "id" \(nullable int32 \(integer number\)\) and "k2" \(string\) have different types; cast one side first/);
    const plain = p.apply("Plain", create([{ id: 1 }]));
    expect(() => join(lhs, plain, { name: "J3" }).on("id")).toThrow(/J3 \(right input\) needs a PCollection with a schema/);
  });

  it("co-groups two or more inputs by fields, and joins them all by the cross product", async () => {
    const Third = schema({ id: t.int32().nullable(), x: t.string() });
    await runOn(RUNNERS[0]!, (p) => {
      const lhs = p.apply("Left", create<unknown>([{ id: 1, k2: "a", l: 1 }, { id: 1, k2: "b", l: 2 }, { id: null, k2: "a", l: 3 }])).withSchema(Left);
      const rhs = p.apply("Right", create<unknown>([{ id: 1, k2: "a", r: 10 }, { id: null, k2: "a", r: 30 }])).withSchema(Right);
      const third = p.apply("Third", create<unknown>([{ id: 1, x: "x" }, { id: 2, x: "y" }])).withSchema(Third);
      const grouped = coGroup({ lhs, rhs, third }).by("id");
      assertThat(grouped.apply("Describe", map((g) => `${g.key.id}:${g.lhs.length},${g.rhs.length},${g.third.length}`))).containsInAnyOrder(["1:2,1,1", "null:1,1,0", "2:0,0,1"]);
      const joined = coGroup({ lhs, rhs, third }, "CrossJoin").crossProductJoin("id");
      assertThat(joined.apply("DescribeJoin", map((j) => `${j.lhs.l}/${j.rhs.r}/${j.third.x}`))).containsInAnyOrder(["1/10/x", "2/10/x"]);
    });
  });
});
