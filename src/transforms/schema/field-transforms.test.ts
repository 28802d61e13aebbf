import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConstructionError, schema, t, type AtomicType, type Field, type Schema } from "../../model/index.js";
import { addedSchema, addToRow } from "./add-fields.js";
import { droppedSchema, dropFromRow } from "./drop-fields.js";
import { renamedSchema, renameInRow } from "./rename-fields.js";
import { project, projection } from "./select.js";
import { unnestedSchema } from "./unnest.js";

const Order = schema({ id: t.int64(), customer: t.row({ name: t.string(), address: t.row({ zip: t.string() }).nullable() }), amount: t.double() }).schema;

const ATOMICS: readonly AtomicType[] = ["INT32", "INT64", "STRING", "DOUBLE", "BOOLEAN"];
/** A flat schema of 1 to 6 uniquely named fields. */
const flatSchema: fc.Arbitrary<Schema> = fc
  .uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f"), { minLength: 1, maxLength: 6 })
  .chain((names) => fc.tuple(...names.map((name) => fc.record({ type: fc.constantFrom(...ATOMICS), nullable: fc.boolean() }).map(({ type, nullable }): Field => ({ name, type: { kind: "atomic", type, nullable } })))))
  .map((fields) => ({ fields }));
const names = (s: Schema) => s.fields.map((f) => f.name);

describe("schema computations of select, drop, rename, add and unnest", () => {
  it("names nested selections by their last name and makes fields under a nullable row nullable", () => {
    const p = projection(Order, ["id", "customer.address.zip", "customer.*"], "select");
    expect(p.schema.fields).toEqual([
      { name: "id", type: { kind: "atomic", type: "INT64" } },
      { name: "zip", type: { kind: "atomic", type: "STRING", nullable: true } },
      { name: "name", type: { kind: "atomic", type: "STRING" } },
      { name: "address", type: { kind: "row", nullable: true, schema: { fields: [{ name: "zip", type: { kind: "atomic", type: "STRING" } }] } } },
    ]);
    expect(project(p, { id: 1n, customer: { name: "n", address: null }, amount: 1 })).toEqual({ id: 1n, zip: null, name: "n", address: null });
    expect(() => projection(Order, ["amount.x"], "select")).toThrow(/"amount" is not a row \(it is DOUBLE\)/);
    expect(() => projection(Order, ["customer.nope"], "select")).toThrow(/no field "customer\.nope"\. Its fields are: customer\.name, customer\.address/);
    expect(() => projection(Order, ["a..b"], "select")).toThrow(ConstructionError);
  });

  it("selecting fields in any order gives those fields with their types, and drop keeps exactly the rest in order", () => {
    fc.assert(
      fc.property(flatSchema, fc.func(fc.boolean()), (s, pick) => {
        const chosen = s.fields.filter((f, i) => pick(i)).map((f) => f.name);
        fc.pre(chosen.length > 0 && chosen.length < s.fields.length);
        const reversed = [...chosen].reverse();
        const selected = projection(s, reversed, "select").schema;
        expect(selected.fields).toEqual(reversed.map((n) => s.fields.find((f) => f.name === n)));
        const dropped = droppedSchema(s, chosen, "dropFields").schema;
        expect(names(dropped)).toEqual(names(s).filter((n) => !chosen.includes(n)));
      }),
    );
  });

  it("renaming and renaming back gives the schema and the rows back", () => {
    fc.assert(
      fc.property(flatSchema, fc.func(fc.boolean()), (s, pick) => {
        const there = Object.fromEntries(s.fields.filter((_, i) => pick(i)).map((f) => [f.name, `${f.name}_renamed`]));
        fc.pre(Object.keys(there).length > 0);
        const back = Object.fromEntries(Object.entries(there).map(([a, b]) => [b, a]));
        const renamed = renamedSchema(s, there, "renameFields");
        const restored = renamedSchema(renamed.schema, back, "renameFields");
        expect(restored.schema).toEqual(s);
        const row = Object.fromEntries(s.fields.map((f, i) => [f.name, i]));
        expect(renameInRow(restored.tree, renameInRow(renamed.tree, row))).toEqual(row);
      }),
    );
  });

  it("adding fields and dropping them again gives the schema and the rows back", () => {
    fc.assert(
      fc.property(flatSchema, fc.boolean(), (s, withDefault) => {
        const added = addedSchema(s, { zz: withDefault ? { type: t.string(), default: "d" } : t.string() }, "addFields");
        expect(added.schema.fields.at(-1)).toEqual({ name: "zz", type: { kind: "atomic", type: "STRING", nullable: !withDefault || undefined } });
        const row = Object.fromEntries(s.fields.map((f, i) => [f.name, i]));
        const withZz = addToRow(added.additions, row) as Record<string, unknown>;
        expect(withZz["zz"]).toBe(withDefault ? "d" : null);
        const dropped = droppedSchema(added.schema, ["zz"], "dropFields");
        expect(dropped.schema).toEqual(s);
        expect(dropFromRow(dropped.tree, withZz)).toEqual(row);
      }),
    );
  });

  it("renames and drops inside nested rows, and refuses renames that clash", () => {
    const r = renamedSchema(Order, { "customer.address.zip": "postcode", amount: "total" }, "renameFields");
    expect(names(r.schema)).toEqual(["id", "customer", "total"]);
    expect(renameInRow(r.tree, { id: 1n, customer: { name: "n", address: { zip: "z" } }, amount: 2 })).toEqual({ id: 1n, customer: { name: "n", address: { postcode: "z" } }, total: 2 });
    expect(() => renamedSchema(Order, { "customer.name": "address" }, "renameFields")).toThrow(/renameFields \(in "customer"\): the output would have two fields named "address"/);
    expect(() => renamedSchema(Order, { id: "a.b" }, "renameFields")).toThrow(/without dots/);
    const d = droppedSchema(Order, ["customer.address", "customer.address.zip"], "dropFields");
    expect(dropFromRow(d.tree, { id: 1n, customer: { name: "n", address: null }, amount: 2 })).toEqual({ id: 1n, customer: { name: "n" }, amount: 2 });
  });

  it("unnests with Beam's names, refusing clashes under last-name naming", () => {
    expect(names(unnestedSchema(Order, "concat", "unnest").schema)).toEqual(["id", "customer_name", "customer_address_zip", "amount"]);
    expect(unnestedSchema(Order, "concat", "unnest").schema.fields[2]!.type.nullable).toBe(true);
    const clash = schema({ zip: t.string(), a: t.row({ zip: t.string() }) }).schema;
    expect(() => unnestedSchema(clash, "lastName", "unnest")).toThrow(/two fields named "zip"/);
  });
});
