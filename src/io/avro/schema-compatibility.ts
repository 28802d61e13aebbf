/**
 * Avro schema resolution checked up front, as Avro Java's SchemaCompatibility
 * (`checkReaderWriterCompatibility`): whether records written with a writer schema can be
 * read with a reader schema, and if not, every incompatibility with its kind (the same six
 * kinds as Avro's SchemaIncompatibilityType), the field it is at and both types. readAvro
 * runs it before reading a record, so an incompatible change is refused naming the field,
 * whatever avsc's resolver would have said in the middle of a job.
 *
 * The rules are the Avro specification's "Schema Resolution": equal primitive types, the
 * promotions int → long/float/double, long → float/double, float → double, string ↔ bytes;
 * named types matched by unqualified name or a reader alias of the writer's full name;
 * record fields matched by name or a reader field's alias, a reader field the writer lacks
 * needs a default; a writer union needs every branch readable, a reader union one branch
 * that reads the writer's type; a reader enum needs every writer symbol unless it has a
 * default. Logical types are ignored, as resolution ignores them.
 */

/** The kinds of incompatibility, as Avro's SchemaCompatibility.SchemaIncompatibilityType. */
export type SchemaIncompatibilityType =
  | "NAME_MISMATCH"
  | "FIXED_SIZE_MISMATCH"
  | "MISSING_ENUM_SYMBOLS"
  | "READER_FIELD_MISSING_DEFAULT_VALUE"
  | "TYPE_MISMATCH"
  | "MISSING_UNION_BRANCH";

/** One reason a reader schema cannot read data of a writer schema. */
export interface SchemaIncompatibility {
  readonly type: SchemaIncompatibilityType;
  /** The field, as a path from the top record: `address.zip`, `tags[]`, `scores{}`; "" for the top level. */
  readonly field: string;
  /** The reader's type there, e.g. `string`, `record Address`, `["null", "string"]`. */
  readonly readerType: string;
  /** The writer's type there; `(absent)` for a reader field the writer does not have. */
  readonly writerType: string;
  /** What is wrong, e.g. the missing enum symbols or the expected fixed size. */
  readonly detail: string;
}

type Primitive = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";
const PRIMITIVES: ReadonlySet<string> = new Set<Primitive>(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

/** A schema with its named references resolved (records may refer to themselves). */
type Node =
  | { readonly kind: Primitive; readonly logical?: string }
  | { readonly kind: "array"; items: Node }
  | { readonly kind: "map"; values: Node }
  | { readonly kind: "union"; readonly branches: Node[] }
  | { readonly kind: "fixed"; readonly name: string; readonly fullName: string; readonly aliases: readonly string[]; readonly size: number }
  | { readonly kind: "enum"; readonly name: string; readonly fullName: string; readonly aliases: readonly string[]; readonly symbols: readonly string[]; readonly hasDefault: boolean }
  | { readonly kind: "record"; readonly name: string; readonly fullName: string; readonly aliases: readonly string[]; readonly fields: FieldNode[] };

interface FieldNode {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly hasDefault: boolean;
  type: Node;
}

/**
 * The incompatibilities of reading data written with `writer` using `reader` (both Avro
 * schemas as parsed JSON); empty when the reader can read it.
 *
 * @example checkReaderWriterCompatibility(UserV2, UserV1) // [{ type: "READER_FIELD_MISSING_DEFAULT_VALUE", field: "email", ... }]
 */
export function checkReaderWriterCompatibility(reader: unknown, writer: unknown): SchemaIncompatibility[] {
  return new Checker().check(parseSchema(reader), parseSchema(writer), "");
}

/** The type of a schema as a message shows it. */
export function describeAvroType(schema: unknown): string {
  return describe(parseSchema(schema));
}

class Checker {
  /**
   * Results of record pairs, as Avro memoizes them: only records can recur, and a pair met
   * again while it is being checked is compatible unless proven otherwise.
   */
  private readonly records = new Map<Node, Map<Node, SchemaIncompatibility[] | "checking">>();

  check(reader: Node, writer: Node, field: string): SchemaIncompatibility[] {
    if (reader.kind !== "record" || writer.kind !== "record") return this.compute(reader, writer, field);
    let byReader = this.records.get(writer);
    if (byReader === undefined) this.records.set(writer, (byReader = new Map()));
    const known = byReader.get(reader);
    if (known !== undefined) return known === "checking" ? [] : known;
    byReader.set(reader, "checking");
    const result = this.compute(reader, writer, field);
    byReader.set(reader, result);
    return result;
  }

  private compute(reader: Node, writer: Node, field: string): SchemaIncompatibility[] {
    const at = (type: SchemaIncompatibilityType, detail: string): SchemaIncompatibility[] => [
      { type, field, readerType: describe(reader), writerType: describe(writer), detail },
    ];
    if (writer.kind === "union" && reader.kind !== "union") {
      // Every value the writer may have written must be readable.
      return writer.branches.flatMap((b) => this.check(reader, b, field));
    }
    switch (reader.kind) {
      case "union": {
        if (writer.kind === "union") return writer.branches.flatMap((b) => (this.readsBranch(reader, b) ? [] : missingBranch(reader, b, field)));
        return this.readsBranch(reader, writer) ? [] : missingBranch(reader, writer, field);
      }
      case "array":
        return writer.kind === "array" ? this.check(reader.items, writer.items, `${field}[]`) : at("TYPE_MISMATCH", mismatch(reader, writer));
      case "map":
        return writer.kind === "map" ? this.check(reader.values, writer.values, `${field}{}`) : at("TYPE_MISMATCH", mismatch(reader, writer));
      case "fixed": {
        if (writer.kind !== "fixed") return at("TYPE_MISMATCH", mismatch(reader, writer));
        const out = namesMatch(reader, writer) ? [] : at("NAME_MISMATCH", `expected the name ${writer.fullName} (or a reader alias of it)`);
        return reader.size === writer.size ? out : [...out, ...at("FIXED_SIZE_MISMATCH", `expected size ${writer.size}, found ${reader.size}`)];
      }
      case "enum": {
        if (writer.kind !== "enum") return at("TYPE_MISMATCH", mismatch(reader, writer));
        const out = namesMatch(reader, writer) ? [] : at("NAME_MISMATCH", `expected the name ${writer.fullName} (or a reader alias of it)`);
        const missing = writer.symbols.filter((s) => !reader.symbols.includes(s));
        if (missing.length === 0 || reader.hasDefault) return out;
        return [...out, ...at("MISSING_ENUM_SYMBOLS", `the reader lacks the symbols ${missing.join(", ")}`)];
      }
      case "record": {
        if (writer.kind !== "record") return at("TYPE_MISMATCH", mismatch(reader, writer));
        const out = namesMatch(reader, writer) ? [] : at("NAME_MISMATCH", `expected the name ${writer.fullName} (or a reader alias of it)`);
        for (const rf of reader.fields) {
          const path = field === "" ? rf.name : `${field}.${rf.name}`;
          const wf = writer.fields.find((f) => f.name === rf.name) ?? writer.fields.find((f) => rf.aliases.includes(f.name));
          if (wf !== undefined) {
            out.push(...this.check(rf.type, wf.type, path));
          } else if (!rf.hasDefault) {
            out.push({
              type: "READER_FIELD_MISSING_DEFAULT_VALUE",
              field: path,
              readerType: describe(rf.type),
              writerType: "(absent)",
              detail: `the writer's ${describe(writer)} has no field "${rf.name}"${rf.aliases.length > 0 ? ` (nor its aliases ${rf.aliases.join(", ")})` : ""} and the reader field has no default`,
            });
          }
        }
        return out;
      }
      default:
        return promotes(writer.kind, reader.kind) ? [] : at("TYPE_MISMATCH", mismatch(reader, writer));
    }
  }

  /** Whether some branch of a reader union reads the writer's (non-union) type; checked without recording its failures. */
  private readsBranch(reader: Extract<Node, { kind: "union" }>, writer: Node): boolean {
    return reader.branches.some((b) => this.check(b, writer, "").length === 0);
  }
}

function missingBranch(reader: Node, writer: Node, field: string): SchemaIncompatibility[] {
  return [{ type: "MISSING_UNION_BRANCH", field, readerType: describe(reader), writerType: describe(writer), detail: `the reader union has no branch that reads ${describe(writer)}` }];
}

function mismatch(reader: Node, writer: Node): string {
  return `reader type ${reader.kind} is not compatible with writer type ${writer.kind}`;
}

/** Whether a writer primitive resolves to a reader primitive (equal, or a promotion). */
function promotes(writer: Node["kind"], reader: Node["kind"]): boolean {
  if (writer === reader) return true;
  switch (reader) {
    case "long":
      return writer === "int";
    case "float":
      return writer === "int" || writer === "long";
    case "double":
      return writer === "int" || writer === "long" || writer === "float";
    case "bytes":
      return writer === "string";
    case "string":
      return writer === "bytes";
    default:
      return false;
  }
}

/** Avro's schemaNameEquals: the same unqualified name, or a reader alias naming the writer. */
function namesMatch(reader: { name: string; aliases: readonly string[] }, writer: { name: string; fullName: string }): boolean {
  return reader.name === writer.name || reader.aliases.includes(writer.fullName) || reader.aliases.includes(writer.name);
}

function describe(node: Node, depth = 0): string {
  if (depth > 2) return "…";
  switch (node.kind) {
    case "array":
      return `array<${describe(node.items, depth + 1)}>`;
    case "map":
      return `map<${describe(node.values, depth + 1)}>`;
    case "union":
      return `[${node.branches.map((b) => describe(b, depth + 1)).join(", ")}]`;
    case "fixed":
      return `fixed ${node.fullName} (${node.size} bytes)`;
    case "enum":
    case "record":
      return `${node.kind} ${node.fullName}`;
    default:
      return node.logical === undefined ? node.kind : `${node.kind} (${node.logical})`;
  }
}

/** Resolves a schema's named references within itself. */
function parseSchema(schema: unknown): Node {
  const named = new Map<string, Node>();
  const fullNameOf = (name: string, namespace: string | undefined): string => (name.includes(".") || !namespace ? name : `${namespace}.${name}`);
  const aliasesOf = (v: unknown, namespace: string | undefined): string[] => (Array.isArray(v) ? v.filter((a): a is string => typeof a === "string").map((a) => fullNameOf(a, namespace)) : []);
  const parse = (s: unknown, namespace: string | undefined): Node => {
    if (typeof s === "string") {
      if (PRIMITIVES.has(s)) return { kind: s as Primitive };
      const ref = named.get(fullNameOf(s, namespace)) ?? named.get(s);
      if (ref === undefined) throw new Error(`unknown type name "${s}"`);
      return ref;
    }
    if (Array.isArray(s)) return { kind: "union", branches: s.map((b) => parse(b, namespace)) };
    if (typeof s !== "object" || s === null) throw new Error(`not an Avro schema: ${JSON.stringify(s)}`);
    const o = s as Record<string, unknown>;
    const type = o["type"];
    const logical = typeof o["logicalType"] === "string" ? (o["logicalType"] as string) : undefined;
    if (typeof type === "string" && PRIMITIVES.has(type)) return logical === undefined ? { kind: type as Primitive } : { kind: type as Primitive, logical };
    if (type === "array") {
      const node: Node = { kind: "array", items: { kind: "null" } };
      node.items = parse(o["items"], namespace);
      return node;
    }
    if (type === "map") {
      const node: Node = { kind: "map", values: { kind: "null" } };
      node.values = parse(o["values"], namespace);
      return node;
    }
    if (type === "record" || type === "error" || type === "enum" || type === "fixed") {
      const rawName = String(o["name"]);
      const ns = typeof o["namespace"] === "string" ? (o["namespace"] as string) : rawName.includes(".") ? rawName.slice(0, rawName.lastIndexOf(".")) : namespace;
      const fullName = fullNameOf(rawName, ns);
      const name = fullName.slice(fullName.lastIndexOf(".") + 1);
      const aliases = aliasesOf(o["aliases"], ns);
      if (type === "enum") {
        const node: Node = { kind: "enum", name, fullName, aliases, symbols: Array.isArray(o["symbols"]) ? (o["symbols"] as string[]) : [], hasDefault: o["default"] !== undefined };
        named.set(fullName, node);
        return node;
      }
      if (type === "fixed") {
        const node: Node = { kind: "fixed", name, fullName, aliases, size: Number(o["size"]) };
        named.set(fullName, node);
        return node;
      }
      const fields: FieldNode[] = [];
      const node: Node = { kind: "record", name, fullName, aliases, fields };
      named.set(fullName, node); // before its fields: they may refer to it
      for (const f of Array.isArray(o["fields"]) ? (o["fields"] as Record<string, unknown>[]) : []) {
        const fieldAliases = Array.isArray(f["aliases"]) ? f["aliases"].filter((a): a is string => typeof a === "string") : [];
        fields.push({ name: String(f["name"]), aliases: fieldAliases, hasDefault: f["default"] !== undefined, type: parse(f["type"], ns) });
      }
      return node;
    }
    // `{ "type": "string" }`-style wrappers of a named or nested type.
    return parse(type, namespace);
  };
  return parse(schema, undefined);
}
