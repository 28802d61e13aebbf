import { describe, expect, it } from "vitest";
import { redactConnectionString, scrub } from "./connection.js";
import { partitionQuery, rangesBetween } from "./partitions.js";
import { copyTextRow, valueText } from "./row-encoding.js";
import { parseArrayLiteral } from "./type-mapping.js";
import { Secret } from "../../model/index.js";

describe("PostgreSQL IO helpers", () => {
  it("cuts [min, max] into ranges of equal width, open at both ends, the last holding NULLs", () => {
    expect(rangesBetween(1n, 100n, 4)).toEqual([
      { lower: null, upper: "26", nulls: false },
      { lower: "26", upper: "51", nulls: false },
      { lower: "51", upper: "76", nulls: false },
      { lower: "76", upper: null, nulls: true },
    ]);
    expect(rangesBetween(5n, 6n, 10)).toHaveLength(2);
    expect(rangesBetween(7n, 7n, 10)).toEqual([{ lower: null, upper: null, nulls: true }]);
    expect(partitionQuery("t", "k", { lower: "26", upper: null, nulls: true })).toEqual({ text: 'SELECT * FROM t WHERE ("k" >= $1) OR "k" IS NULL', values: ["26"] });
  });

  it("redacts passwords of connection strings in URL and key=value forms", () => {
    expect(redactConnectionString("postgresql://etl:hunter2@db:5432/shop?sslmode=require")).toBe("postgresql://etl:****@db:5432/shop?sslmode=require");
    expect(redactConnectionString("postgres://db/shop?user=etl&password=hunter2")).toBe("postgres://db/shop?user=etl&password=****");
    expect(redactConnectionString("host=db password='hun ter2' user=etl")).toBe("host=db password=**** user=etl");
    expect(scrub({ connectionString: new Secret("postgresql://etl:p%40ss@db/shop") }, "bad p@ss and p%40ss")).toBe("bad **** and ****");
  });

  it("writes values as PostgreSQL text input, escaping COPY's specials", () => {
    expect(valueText({ unscaledValue: -5n, scale: 3 })).toBe("-0.005");
    expect(valueText(new Uint8Array([0, 255]))).toBe("\\x00ff");
    expect(valueText([1n, null, 'a"b'])).toBe('{"1",NULL,"a\\"b"}');
    expect(copyTextRow(["a\tb\\c\nd", null, true, 12n])).toBe("a\\tb\\\\c\\nd\t\\N\tt\t12\n");
  });

  it("reads array literals, quoted, NULL and nested", () => {
    expect(parseArrayLiteral('{1,NULL,"x y","q\\"r"}', (s) => s)).toEqual(["1", null, "x y", 'q"r']);
    expect(parseArrayLiteral("{{1,2},{3,4}}", Number)).toEqual([[1, 2], [3, 4]]);
    expect(parseArrayLiteral("{}", Number)).toEqual([]);
  });
});
