import { createRequire } from "node:module";
import { positionOf, type BinaryOp, type Expr, type FromItem, type JoinKind, type LiteralValue, type OrderItem, type Query, type SelectItem, type SetOperator, type Statement } from "./ast.js";
import { parseBigDecimal } from "../coders/index.js";
import { SqlError, positionAt } from "./sql-error.js";
import { parseDate, parseTimestamp } from "./time-functions.js";
import { distinctPredicateOf, isPredicateOf, rewriteIsPredicates, type RewrittenText } from "./is-predicate-syntax.js";
import { TextCursor } from "./text-cursor.js";
import { rewriteTimeSyntax } from "./time-syntax.js";

/**
 * The front end: node-sql-parser's Flink SQL grammar (the dialect closest to Calcite's, with
 * TUMBLE/HOP/SESSION and INTERVAL literals) reads the text; this module turns its untyped
 * JSON tree into ast.ts's typed nodes and refuses what the binder would misread. The parser
 * is an optional peer dependency loaded on first use, synchronously, because `sql(...)`
 * builds its transforms while the pipeline is constructed.
 */

interface ParserModule {
  readonly Parser: new () => { astify(text: string, options: object): unknown };
}

let parserModule: ParserModule | undefined;

function loadParser(query: string): ParserModule {
  if (parserModule !== undefined) return parserModule;
  try {
    parserModule = createRequire(import.meta.url)("node-sql-parser/build/flinksql") as ParserModule;
  } catch (err) {
    throw new SqlError(
      "the SQL parser (the npm package node-sql-parser) is not installed",
      undefined,
      "npm install node-sql-parser (an optional peer dependency of beam-ts, needed only by sql())",
      query,
      { cause: err },
    );
  }
  return parserModule;
}

type Json = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/**
 * Parses one statement: a query, or `EXPLAIN [PLAN FOR] query`.
 *
 * @example parseSql("SELECT a FROM PCOLLECTION").query.kind === "select"
 */
export function parseSql(query: string): Statement {
  // EXPLAIN is ours (the grammar lacks it): blank it out so offsets stay those of the text.
  const explainMatch = /^\s*EXPLAIN(\s+PLAN\s+FOR)?\s/i.exec(query);
  // The time rewrite keeps every offset; the IS rewrite inserts text and maps its offsets back.
  const rewritten = rewriteIsPredicates(rewriteTimeSyntax(explainMatch ? " ".repeat(explainMatch[0].length) + query.slice(explainMatch[0].length) : query));
  const text = rewritten.text;
  const { Parser } = loadParser(query);
  let tree: unknown;
  try {
    tree = new Parser().astify(text, { database: "flinksql", trimQuery: false, parseOptions: { includeLocations: true } });
  } catch (err) {
    const rawLoc = isObj(err) && isObj(err["location"]) && isObj(err["location"]["start"]) ? err["location"]["start"]["offset"] : undefined;
    const loc = typeof rawLoc === "number" ? rewritten.originalOffset(rawLoc) : undefined;
    const found = isObj(err) ? str(err["found"]) : undefined;
    // The grammar has no window (OVER) functions: say so rather than "syntax error".
    const overAt = typeof loc === "number" ? overNear(query, loc) : -1;
    if (overAt >= 0) {
      throw new SqlError(
        "window functions (OVER) are not supported",
        positionAt(query, overAt),
        "aggregate per group with GROUP BY (per window with TUMBLE/HOP/SESSION), or compute per-row ranks in a DoFn after sql()",
        query,
        { cause: err },
      );
    }
    throw new SqlError(
      found === undefined ? "unexpected end of the query" : `syntax error near "${found}"`,
      typeof loc === "number" ? positionAt(query, loc) : undefined,
      "check the query against docs/SQL.md's supported syntax (identifiers that are keywords need `backticks`)",
      query,
      { cause: err },
    );
  }
  const statements = Array.isArray(tree) ? tree : [tree];
  if (statements.length !== 1) {
    throw new SqlError(`expected one statement, got ${statements.length}`, undefined, "pass one SELECT per sql() call", query);
  }
  return { explain: explainMatch !== null, query: new Converter(query, rewritten).query(statements[0]) };
}

/** The offset of an OVER keyword right before or at `offset` (where the grammar stops reading a window function), or -1. */
function overNear(query: string, offset: number): number {
  const before = /\bOVER\s*$/i.exec(query.slice(0, offset));
  if (before !== null) return before.index;
  const after = /^\s*OVER\b/i.exec(query.slice(offset));
  return after === null ? -1 : offset + after[0].search(/OVER/i);
}

/**
 * Converts the parser's tree. The parser gives positions only for function calls, so the
 * others are found in the text (text-cursor.ts): the converter walks clauses in text order.
 */
class Converter {
  private readonly cursor: TextCursor;
  constructor(
    private readonly text: string,
    /** The text the parser read: is-predicate-syntax.ts inserted text, so its offsets map back to the user's. */
    private readonly parsed: RewrittenText,
  ) {
    this.cursor = new TextCursor(text);
  }

  private fail(problem: string, at: number, hint?: string): never {
    throw new SqlError(problem, at >= 0 ? positionAt(this.text, at) : undefined, hint, this.text);
  }

  private locOf(node: Json): number {
    const loc = node["loc"];
    if (isObj(loc) && isObj(loc["start"]) && typeof loc["start"]["offset"] === "number") {
      return this.cursor.moveTo(this.parsed.originalOffset(loc["start"]["offset"]));
    }
    return -1;
  }

  /** The user's offset of the IS keyword of a rewritten IS predicate's call, or -1. */
  private isKeywordOf(node: Json): number {
    const loc = node["loc"];
    if (!isObj(loc) || !isObj(loc["end"]) || typeof loc["end"]["offset"] !== "number") return -1;
    const at = this.parsed.isKeywordOf(loc["end"]["offset"]);
    // Never back: IS DISTINCT FROM's keyword comes before its right operand, which the cursor has passed.
    if (at >= 0) this.cursor.advanceTo(at);
    return at;
  }

  query(node: unknown): Query {
    if (!isObj(node)) this.fail("expected a query", -1);
    if (node["type"] !== "select") {
      this.fail(`${String(node["type"]).toUpperCase()} statements are not supported`, this.cursor.word(String(node["type"])), "sql() runs SELECT queries only");
    }
    const at = this.cursor.word("SELECT");
    const ctes = arr(node["with"]).map((w) => {
      const wj = isObj(w) ? w : {};
      const name = isObj(wj["name"]) ? str(wj["name"]["value"]) : str(wj["name"]);
      const stmt = isObj(wj["stmt"]) ? (wj["stmt"]["ast"] ?? wj["stmt"]) : undefined;
      if (name === undefined) this.fail("a WITH item without a name", at);
      return { name, query: this.query(stmt) };
    });
    // `A op1 B op2 C`: the parser links the SELECTs through _next, each carrying the operator after it.
    const operands: Query[] = [this.select(node, at)];
    const ops: { readonly op: SetOperator; readonly all: boolean; readonly at: number }[] = [];
    for (let cur: Json = node, next = cur["_next"]; isObj(next); cur = next, next = cur["_next"]) {
      const [word = "", modifier] = (str(cur["set_op"]) ?? "").toLowerCase().split(" ");
      const opAt = this.cursor.word(word);
      if (word !== "union" && word !== "intersect" && word !== "except") {
        this.fail(`${word.toUpperCase() || "this set operation"} is not supported`, opAt, "use UNION, INTERSECT or EXCEPT, each with ALL or DISTINCT");
      }
      ops.push({ op: word.toUpperCase() as SetOperator, all: modifier === "all", at: opAt });
      operands.push(this.select(next, this.cursor.word("SELECT")));
    }
    // INTERSECT binds tighter than UNION and EXCEPT, which associate to the left (SQL, Calcite).
    for (let i = 0; i < ops.length; ) {
      if (ops[i]!.op !== "INTERSECT") {
        i++;
        continue;
      }
      const { op, all, at: opAt } = ops.splice(i, 1)[0]!;
      operands.splice(i, 2, { kind: "setOp", op, all, left: operands[i]!, right: operands[i + 1]!, at: opAt });
    }
    let body = operands[0]!;
    ops.forEach(({ op, all, at: opAt }, i) => {
      body = { kind: "setOp", op, all, left: body, right: operands[i + 1]!, at: opAt };
    });
    return ctes.length === 0 ? body : { kind: "with", ctes, body, at };
  }

  private select(node: Json, at: number): Query {
    const items: SelectItem[] = arr(node["columns"]).map((c) => this.selectItem(c));
    const from = arr(node["from"]).map((f, i) => this.fromItem(f, i));
    if (from.length === 0) this.fail("a SELECT without FROM", at, "name an input: SELECT ... FROM PCOLLECTION");
    const where = node["where"] === null || node["where"] === undefined ? undefined : this.expr(node["where"]);
    const groupBy = isObj(node["groupby"]) ? arr(node["groupby"]["columns"]).map((e) => this.expr(e)) : arr(node["groupby"]).map((e) => this.expr(e));
    const having = node["having"] === null || node["having"] === undefined ? undefined : this.expr(node["having"]);
    const orderBy: OrderItem[] = arr(node["orderby"]).map((o) => {
      const oj = isObj(o) ? o : {};
      return { expr: this.expr(oj["expr"]), descending: str(oj["type"])?.toUpperCase() === "DESC" };
    });
    let limit: number | undefined;
    let offset: number | undefined;
    if (isObj(node["limit"])) {
      const values = arr(node["limit"]["value"]).map((v) => (isObj(v) ? Number(v["value"]) : NaN));
      if (values.length > 0) {
        const sep = str(node["limit"]["seperator"]);
        if (sep === ",") [offset, limit] = values;
        else [limit, offset] = values;
      }
      for (const v of [limit, offset]) {
        if (v !== undefined && (!Number.isInteger(v) || v < 0)) this.fail("LIMIT and OFFSET take non-negative integer literals", this.cursor.word("LIMIT"));
      }
    }
    const distinct = str(node["distinct"])?.toUpperCase() === "DISTINCT";
    return { kind: "select", distinct, items, from, where, groupBy, having, orderBy, limit, offset, at };
  }

  private selectItem(c: unknown): SelectItem {
    const cj = isObj(c) ? c : {};
    const e = cj["expr"];
    if (isObj(e) && e["type"] === "column_ref" && this.columnName(e) === "*") {
      const table = str(e["table"]) ?? undefined;
      return { kind: "star", table, at: this.cursor.word("*") };
    }
    const alias = str(cj["as"]) ?? (isObj(cj["as"]) ? str(cj["as"]["value"]) : undefined);
    return { kind: "expr", expr: this.expr(e), alias };
  }

  private fromItem(f: unknown, index: number): FromItem {
    const fj = isObj(f) ? f : {};
    const alias = str(fj["as"]) ?? undefined;
    const joinText = str(fj["join"]);
    const join = index === 0 ? undefined : joinKind(joinText, () => this.fail(`${joinText ?? "join"} is not supported`, this.cursor.word("JOIN")));
    const subquery = isObj(fj["expr"]) ? (fj["expr"]["ast"] ?? undefined) : undefined;
    if (subquery !== undefined) {
      const at = this.cursor.offset;
      const query = this.query(subquery);
      const on = fj["on"] === null || fj["on"] === undefined ? undefined : this.expr(fj["on"]);
      return { source: { kind: "subquery", query }, alias, join, on, at };
    }
    const name = str(fj["table"]);
    if (name === undefined) this.fail("unsupported FROM item", -1, "FROM takes input names, subqueries and joins");
    const at = this.cursor.word(name);
    if (alias !== undefined) this.cursor.word(alias);
    const on = fj["on"] === null || fj["on"] === undefined ? undefined : this.expr(fj["on"]);
    if (fj["using"] !== undefined && fj["using"] !== null) this.fail("JOIN ... USING is not supported", at, "write the equality: JOIN b ON a.k = b.k");
    return { source: { kind: "table", name }, alias, join, on, at };
  }

  private columnName(e: Json): string | undefined {
    const c = e["column"];
    if (typeof c === "string") return c;
    if (isObj(c) && isObj(c["expr"])) return str(c["expr"]["value"]);
    return undefined;
  }

  expr(node: unknown): Expr {
    if (!isObj(node)) this.fail("expected an expression", -1);
    // The parser gives a subquery as { ast } without a type (IN (SELECT ...), = (SELECT ...), EXISTS).
    if (node["type"] === undefined && isObj(node["ast"])) {
      return this.fail("subqueries in expressions are not supported", this.cursor.word("SELECT"), "join with the subquery in FROM instead (Beam SQL decorrelates it into a join too)");
    }
    const type = str(node["type"]);
    switch (type) {
      case "column_ref": {
        const name = this.columnName(node);
        if (name === undefined) this.fail("unsupported column reference", -1);
        const table = str(node["table"]) ?? undefined;
        const at = table === undefined ? this.cursor.word(name) : this.cursor.word(table);
        return { kind: "column", table, name, at };
      }
      case "number":
      case "bigint": {
        const raw = String(node["value"]);
        const at = this.cursor.literal("number", (literal) => Number(literal.replace(/\s/g, "")) === Number(raw));
        return { kind: "literal", value: numberLiteral(node["value"]), at };
      }
      case "single_quote_string":
      case "string": {
        const raw = String(node["value"]);
        const at = this.cursor.literal("string", (literal) => literal.startsWith(`'${raw}'`));
        return { kind: "literal", value: { type: "VARCHAR", value: raw.replaceAll("''", "'") }, at };
      }
      case "double_quote_string":
      case "backticks_quote_string":
        // Calcite reads "x" and `x` as identifiers, never as strings.
        return { kind: "column", table: undefined, name: String(node["value"]), at: this.cursor.word(String(node["value"])) };
      case "bool":
        return { kind: "literal", value: { type: "BOOLEAN", value: node["value"] === true }, at: -1 };
      case "null":
        return { kind: "literal", value: { type: "NULL" }, at: -1 };
      case "interval":
        return this.interval(node);
      case "timestamp":
      case "date": {
        const at = this.cursor.word(type);
        const raw = String(node["value"]);
        if (type === "date") {
          const days = parseDate(raw);
          if (Number.isNaN(days)) this.fail(`DATE '${raw}' is not a date`, at, "write DATE 'YYYY-MM-DD'");
          return { kind: "literal", value: { type: "DATE", value: days }, at };
        }
        const ms = parseTimestamp(raw);
        if (Number.isNaN(ms)) this.fail(`TIMESTAMP '${raw}' is not a timestamp`, at, "write TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC)");
        return { kind: "literal", value: { type: "TIMESTAMP", value: ms }, at };
      }
      case "extract": {
        const at = this.cursor.word("EXTRACT");
        const args = isObj(node["args"]) ? node["args"] : {};
        const field = str(args["field"]) ?? "";
        // The grammar reads EXTRACT(f FROM TIMESTAMP '...') as a string with a cast_type.
        const castType = str(args["cast_type"])?.toLowerCase();
        const source = castType === "timestamp" || castType === "date" ? this.expr({ type: castType, value: isObj(args["source"]) ? args["source"]["value"] : "" }) : this.expr(args["source"]);
        return { kind: "call", name: "EXTRACT", args: [{ kind: "literal", value: { type: "VARCHAR", value: field.toUpperCase() }, at }, source], distinct: false, star: false, at };
      }
      case "unary_expr": {
        const op = str(node["operator"])?.toUpperCase();
        if (op !== "-" && op !== "+" && op !== "NOT") this.fail(`the operator ${op ?? "?"} is not supported`, -1);
        // The prefix operator comes before its operand: find it first, so a search for a later `-` starts after it.
        const at = this.cursor.operator(op);
        return { kind: "unary", op, arg: this.expr(node["expr"]), at };
      }
      case "binary_expr":
        return this.binary(node);
      case "case": {
        const at = this.cursor.word("CASE");
        const operand = node["expr"] === null || node["expr"] === undefined ? undefined : this.expr(node["expr"]);
        const whens: { when: Expr; then: Expr }[] = [];
        let otherwise: Expr | undefined;
        for (const a of arr(node["args"])) {
          if (!isObj(a)) continue;
          if (a["type"] === "when") whens.push({ when: this.expr(a["cond"]), then: this.expr(a["result"]) });
          else otherwise = this.expr(a["result"]);
        }
        return { kind: "case", operand, whens, otherwise, at };
      }
      case "cast": {
        const at = this.cursor.word("CAST");
        const arg = this.expr(node["expr"]);
        const target = arr(node["target"])[0];
        const to = isObj(target) ? str(target["dataType"])?.toUpperCase() : undefined;
        if (to === undefined) this.fail("CAST without a type", at);
        const precision = isObj(target) && typeof target["length"] === "number" ? target["length"] : undefined;
        const scale = isObj(target) && typeof target["scale"] === "number" ? target["scale"] : undefined;
        return { kind: "cast", arg, to, at, ...(precision === undefined ? {} : { precision }), ...(scale === undefined ? {} : { scale }) };
      }
      case "aggr_func": {
        const name = String(node["name"]).toUpperCase();
        const at = this.cursor.word(name);
        const args = isObj(node["args"]) ? node["args"] : {};
        const inner = args["expr"];
        const star = isObj(inner) && inner["type"] === "star";
        const distinct = str(args["distinct"])?.toUpperCase() === "DISTINCT";
        return { kind: "call", name, args: star || inner === undefined || inner === null ? [] : [this.expr(inner)], distinct, star, at };
      }
      case "function": {
        const call = this.call(node);
        // Past the call's closing parenthesis: the time syntax's and the IS rewrite's arguments are not all in the user's text.
        this.passEnd(node);
        return call;
      }
      case "expr_list": {
        const list = arr(node["value"]);
        if (list.length === 1) return this.expr(list[0]);
        return this.fail("a list of values where one value belongs", -1);
      }
      case "select":
        return this.fail("subqueries in expressions are not supported", this.cursor.word("SELECT"), "join with the subquery in FROM instead");
      default:
        return this.fail(`the expression ${type ?? "?"} is not supported`, -1);
    }
  }

  /** A function call, or a call the IS and time rewrites wrote for Calcite syntax the grammar lacks. */
  private call(node: Json): Expr {
    const at = this.locOf(node);
    const nameParts = isObj(node["name"]) ? arr(node["name"]["name"]) : [];
    const name = nameParts.map((p) => (isObj(p) ? String(p["value"]) : "")).join(".").toUpperCase();
    const args = isObj(node["args"]) ? arr(node["args"]["value"]).map((a) => this.expr(a)) : [];
    if (name === "NOT" && args.length === 1) return { kind: "unary", op: "NOT", arg: args[0]!, at };
    const is = isPredicateOf(name);
    if (is !== undefined) {
      // is-predicate-syntax.ts wrote `x IS NOT TRUE` as BEAM$IS_NOT_TRUE(x): the IS keyword follows the operand.
      const isAt = this.isKeywordOf(node);
      const written = `IS ${is.negated ? "NOT " : ""}${is.test}`;
      if (args.length !== 1) this.fail(`${written} without an operand`, isAt, `write x ${written}`);
      if (is.test === "NULL") return { kind: "isNull", arg: args[0]!, negated: is.negated, at: isAt };
      return { kind: "isTruth", arg: args[0]!, test: is.test, negated: is.negated, at: isAt };
    }
    const distinct = distinctPredicateOf(name);
    if (distinct !== undefined) {
      // is-predicate-syntax.ts wrote `a IS NOT DISTINCT FROM b` as BEAM$IS_NOT_DISTINCT_FROM(a , b).
      const isAt = this.isKeywordOf(node);
      const written = `IS ${distinct.negated ? "NOT " : ""}DISTINCT FROM`;
      if (args.length !== 2) this.fail(`${written} without two operands`, isAt, `write a ${written} b`);
      return { kind: "isDistinct", left: args[0]!, right: args[1]!, negated: distinct.negated, at: isAt };
    }
    // time-syntax.ts wrote TIMESTAMPADD(unit, ...) as TIMESTAMPADD_unit(...): the unit becomes the first argument again.
    const unitCall = /^(TIMESTAMPADD|TIMESTAMPDIFF)_([A-Z_]+)$/.exec(name);
    if (unitCall !== null) {
      return { kind: "call", name: unitCall[1]!, args: [{ kind: "literal", value: { type: "VARCHAR", value: unitCall[2]! }, at }, ...args], distinct: false, star: false, at };
    }
    return { kind: "call", name, args, distinct: false, star: false, at };
  }

  /** Moves the cursor to the user's offset of the end of a node the parser gave a location (never back). */
  private passEnd(node: Json): void {
    const loc = node["loc"];
    if (!isObj(loc) || !isObj(loc["end"]) || typeof loc["end"]["offset"] !== "number") return;
    this.cursor.advanceTo(this.parsed.originalOffset(loc["end"]["offset"]));
  }

  private interval(node: Json): Expr {
    const at = this.cursor.word("INTERVAL");
    const inner = isObj(node["expr"]) ? node["expr"]["value"] : undefined;
    const amount = Number(inner);
    const unit = (str(node["unit"]) ?? "").toUpperCase().replace(/S$/, "");
    const unitMillis: Readonly<Record<string, number>> = { MILLISECOND: 1, SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
    const scale = unitMillis[unit];
    if (!Number.isFinite(amount) || scale === undefined) {
      this.fail(`unsupported interval ${String(inner)} ${unit}`, at, "write INTERVAL 'n' SECOND, MINUTE, HOUR or DAY");
    }
    return { kind: "interval", millis: amount * scale, at };
  }

  private binary(node: Json): Expr {
    const raw = (str(node["operator"]) ?? "").toUpperCase();
    const left = this.expr(node["left"]);
    const right = node["right"];
    // An error about the whole expression points at its operator (Calcite: at the call), found after the left operand.
    const opAt = this.cursor.operator(raw.split(" ")[0] ?? raw);
    const at = opAt >= 0 ? opAt : positionOf(left);
    switch (raw) {
      case "IS":
      case "IS NOT": {
        // is-predicate-syntax.ts rewrites IS [NOT] NULL / TRUE / FALSE / UNKNOWN, so what is left is another IS.
        if (!isObj(right) || right["type"] !== "null") this.fail(`${raw} is supported only with NULL, TRUE, FALSE and UNKNOWN`, this.cursor.word("IS"), "write x IS [NOT] NULL, x IS [NOT] TRUE, or compare with =");
        return { kind: "isNull", arg: left, negated: raw === "IS NOT", at };
      }
      case "IN":
      case "NOT IN": {
        const list = isObj(right) && right["type"] === "expr_list" ? arr(right["value"]).map((v) => this.expr(v)) : [];
        if (list.length === 0) this.fail("IN takes a list of values", this.cursor.word("IN"), "write x IN (1, 2, 3); IN (SELECT ...) is not supported");
        return { kind: "in", arg: left, list, negated: raw === "NOT IN", at };
      }
      case "BETWEEN":
      case "NOT BETWEEN": {
        const [lowNode, highNode] = isObj(right) ? arr(right["value"]) : [];
        const low = this.expr(lowNode);
        // BETWEEN's own AND: past it, so a search for a later conjunction's AND starts after it.
        this.cursor.operator("AND");
        return { kind: "between", arg: left, low, high: this.expr(highNode), negated: raw === "NOT BETWEEN", at };
      }
      case "LIKE":
      case "NOT LIKE":
        return { kind: "like", arg: left, pattern: this.expr(right), negated: raw === "NOT LIKE", at };
    }
    const op = raw === "!=" ? "<>" : raw;
    if (!BINARY_OPS.has(op)) this.fail(`the operator ${raw} is not supported`, at, "see docs/SQL.md for the supported operators");
    return { kind: "binary", op: op as BinaryOp, left, right: this.expr(right), at };
  }
}

const BINARY_OPS: ReadonlySet<string> = new Set(["+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=", "AND", "OR"]);

function joinKind(text: string | undefined, fail: () => never): JoinKind {
  switch ((text ?? "").toUpperCase()) {
    case "JOIN":
    case "INNER JOIN":
      return "INNER";
    case "LEFT JOIN":
    case "LEFT OUTER JOIN":
      return "LEFT";
    case "RIGHT JOIN":
    case "RIGHT OUTER JOIN":
      return "RIGHT";
    case "FULL JOIN":
    case "FULL OUTER JOIN":
      return "FULL";
    case "CROSS JOIN":
    case "":
      return "CROSS";
    default:
      return fail();
  }
}

/**
 * An exact integer is INTEGER within 32 bits, BIGINT beyond; a number with a point and no
 * exponent is an exact DECIMAL (Calcite: 1.25 is DECIMAL(3, 2)); one with an exponent DOUBLE.
 */
function numberLiteral(raw: unknown): LiteralValue {
  const text = String(raw);
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    if (big >= -(2n ** 31n) && big < 2n ** 31n) return { type: "INTEGER", value: Number(big) };
    return { type: "BIGINT", value: big };
  }
  if (/^-?\d*\.\d*$/.test(text)) return { type: "DECIMAL", value: parseBigDecimal(text) };
  return { type: "DOUBLE", value: Number(text) };
}
