import { maskQuoted } from "./time-syntax.js";

/**
 * Calcite's IS predicates over any operand, which node-sql-parser's Flink grammar reads only
 * after a sum (`x + 1 IS NULL`, `f IS TRUE`): `x > 1 IS TRUE` and `a BETWEEN 1 AND 2 IS NOT
 * FALSE` are syntax errors to it, and `IS UNKNOWN` is one everywhere.
 *
 * `IS [NOT] DISTINCT FROM` is a binary operator of precedence 30 in Calcite, the comparisons'
 * own, associating to the left: `a = b IS DISTINCT FROM c` is `(a = b) IS DISTINCT FROM c` and
 * `a IS DISTINCT FROM b = c` is `(a IS DISTINCT FROM b) = c`. The grammar reads the first as
 * a syntax error and the second as `a IS DISTINCT FROM (b = c)`, so it is rewritten too, as
 * `BEAM$IS_DISTINCT_FROM(left , right)`: the left operand reaches back as an IS predicate's
 * does (everything that binds tighter than IS, comparisons included), the right one forward to
 * the first comparison, IS, AND, OR, comma, closing parenthesis, END or clause keyword
 * (`rightOperandEndOf`).
 *
 * In Calcite (SqlStdOperatorTable) `IS [NOT] TRUE | FALSE | UNKNOWN | NULL` are postfix
 * operators of precedence 28: looser than comparisons (30), BETWEEN, LIKE and IN (32) and
 * arithmetic, tighter than NOT (26), AND (24) and OR (22). So the operand of an IS predicate
 * reaches back from IS to the nearest AND (not BETWEEN's own), OR, prefix NOT, comma, open
 * parenthesis, CASE keyword or clause keyword, with parenthesized and CASE ... END parts
 * skipped whole. Each predicate is rewritten as a call the grammar reads,
 * `BEAM$IS_NOT_TRUE(operand)`, which parse.ts turns back into the predicate
 * (`isPredicateOf`). The rewrite inserts text, so it comes with the map from its offsets to
 * the user's, which error positions go through.
 *
 * String literals, quoted identifiers and comments are left alone.
 *
 * @example rewriteIsPredicates("SELECT a FROM t WHERE x > 1 IS TRUE").text // "SELECT a FROM t WHERE BEAM$IS_TRUE(x > 1 )"
 */
export function rewriteIsPredicates(text: string): RewrittenText {
  const tokens = tokenize(maskQuoted(text), text);
  const predicates = findPredicates(tokens);
  if (predicates.length === 0) return { text, originalOffset: (offset) => offset, isKeywordOf: () => -1 };
  const betweenAnds = betweenAndTokens(tokens);
  const edits: Edit[] = [];
  predicates.forEach((p, order) => {
    const operandStart = operandStartOf(tokens, p.isToken, betweenAnds);
    const start = tokens[p.isToken]!.start;
    const end = tokens[p.lastToken]!.end;
    // A later predicate's call opens before an earlier one's at the same place: it is the outer one.
    edits.push({ at: tokens[operandStart]?.start ?? start, length: 0, replacement: `${IS_CALL_PREFIX}${p.name}(`, mapsTo: tokens[operandStart]?.start ?? start, order: -order });
    if (!p.binary) {
      edits.push({ at: start, length: end - start, replacement: ")", mapsTo: start, order: 0, closes: start });
      return;
    }
    // `IS [NOT] DISTINCT FROM` becomes the comma between the call's two arguments.
    edits.push({ at: start, length: end - start, replacement: ",", mapsTo: start, order: 0 });
    const last = tokens[rightOperandEndOf(tokens, p.lastToken + 1, betweenAnds)] ?? tokens[p.lastToken]!;
    // A call closing where another opens (no space between) closes first: its text comes first.
    edits.push({ at: last.end, length: 0, replacement: ")", mapsTo: last.end, order: CLOSE_FIRST, closes: start });
  });
  edits.sort((a, b) => a.at - b.at || a.length - b.length || a.order - b.order);
  // The rewritten text as pieces, each copied from the user's text or inserted.
  const pieces: Piece[] = [];
  /** Where each predicate's closing parenthesis is in the rewritten text, in order, and its IS keyword in the user's. */
  const closings: { readonly out: number; readonly keyword: number }[] = [];
  let out = "";
  let from = 0;
  for (const e of edits) {
    if (e.at > from) {
      pieces.push({ outStart: out.length, origStart: from, copied: true });
      out += text.slice(from, e.at);
    }
    pieces.push({ outStart: out.length, origStart: e.mapsTo, copied: false });
    if (e.closes !== undefined) closings.push({ out: out.length, keyword: e.closes });
    out += e.replacement;
    from = Math.max(from, e.at + e.length);
  }
  pieces.push({ outStart: out.length, origStart: from, copied: true });
  out += text.slice(from);
  return {
    text: out,
    originalOffset(offset) {
      let piece = pieces[0]!;
      for (const p of pieces) {
        if (p.outStart > offset) break;
        piece = p;
      }
      return piece.copied ? piece.origStart + (offset - piece.outStart) : piece.origStart;
    },
    isKeywordOf(callEnd) {
      let keyword = -1;
      for (const c of closings) if (c.out < callEnd) keyword = c.keyword;
      return keyword;
    },
  };
}

/** Rewritten SQL text and the way back to the user's offsets. */
export interface RewrittenText {
  readonly text: string;
  /** The offset in the user's text of an offset in `text` (inserted text maps to where it was inserted). */
  originalOffset(offset: number): number;
  /**
   * The user's offset of the IS keyword of the rewritten predicate whose call ends at `callEnd`
   * in `text` (the parser's end of the call, which may take in whitespace after it), or -1.
   */
  isKeywordOf(callEnd: number): number;
}

/** An IS predicate as the call parse.ts reads: `BEAM$IS_NOT_TRUE(x)` is `x IS NOT TRUE`. */
export interface IsPredicate {
  readonly test: "TRUE" | "FALSE" | "UNKNOWN" | "NULL";
  readonly negated: boolean;
}

/** The predicate a call of the rewrite stands for, given its upper-case name, or undefined. */
export function isPredicateOf(name: string): IsPredicate | undefined {
  const m = /^BEAM\$IS_(NOT_)?(TRUE|FALSE|UNKNOWN|NULL)$/.exec(name);
  return m === null ? undefined : { test: m[2] as IsPredicate["test"], negated: m[1] !== undefined };
}

/**
 * Whether a call of the rewrite is `IS DISTINCT FROM` (negated false) or `IS NOT DISTINCT
 * FROM` (negated true), given its upper-case name; undefined for any other call.
 *
 * @example distinctPredicateOf("BEAM$IS_NOT_DISTINCT_FROM") // { negated: true }
 */
export function distinctPredicateOf(name: string): { readonly negated: boolean } | undefined {
  const m = /^BEAM\$IS_(NOT_)?DISTINCT_FROM$/.exec(name);
  return m === null ? undefined : { negated: m[1] !== undefined };
}

const IS_CALL_PREFIX = "BEAM$IS_";
/** The sort order of an inserted closing parenthesis: before any call opening at the same offset. */
const CLOSE_FIRST = -1_000_000;

interface Token {
  /** Upper case. */
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

interface Edit {
  readonly at: number;
  readonly length: number;
  readonly replacement: string;
  /** The user's offset that the replacement's offsets map to. */
  readonly mapsTo: number;
  readonly order: number;
  /** For the parenthesis that closes a predicate's call: the user's offset of its IS keyword. */
  readonly closes?: number;
}

interface Piece {
  readonly outStart: number;
  readonly origStart: number;
  readonly copied: boolean;
}

/**
 * Words, numbers and operators of the masked text; a run of masked quoted text (NUL
 * characters) is one token, never a keyword, and comments (found in `text`) are no tokens.
 */
function tokenize(masked: string, text: string): Token[] {
  const re = /[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+|<>|<=|>=|!=|\|\||\S/g;
  const tokens: Token[] = [];
  for (const m of masked.matchAll(re)) {
    const previous = tokens[tokens.length - 1];
    if (m[0] === MASK && previous?.word.startsWith(MASK) === true && previous.end === m.index) {
      tokens[tokens.length - 1] = { word: previous.word + MASK, start: previous.start, end: m.index + 1 };
    } else tokens.push({ word: m[0].toUpperCase(), start: m.index, end: m.index + m[0].length });
  }
  return tokens.filter((t) => !(t.word.startsWith(MASK) && (text.startsWith("--", t.start) || text.startsWith("/*", t.start))));
}

/** The character maskQuoted writes over quoted text and comments. */
const MASK = "\u0000";

/** Every `IS [NOT] TRUE | FALSE | UNKNOWN | NULL` and `IS [NOT] DISTINCT FROM` (binary), in text order. */
function findPredicates(tokens: readonly Token[]): { isToken: number; lastToken: number; name: string; binary: boolean }[] {
  const found: { isToken: number; lastToken: number; name: string; binary: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.word !== "IS") continue;
    const negated = tokens[i + 1]?.word === "NOT";
    const last = negated ? i + 2 : i + 1;
    const test = tokens[last]?.word;
    if (test === "TRUE" || test === "FALSE" || test === "UNKNOWN" || test === "NULL") {
      found.push({ isToken: i, lastToken: last, name: `${negated ? "NOT_" : ""}${test}`, binary: false });
      i = last;
    } else if (test === "DISTINCT" && tokens[last + 1]?.word === "FROM") {
      found.push({ isToken: i, lastToken: last + 1, name: `${negated ? "NOT_" : ""}DISTINCT_FROM`, binary: true });
      i = last + 1;
    }
  }
  return found;
}

/** The indexes of the AND tokens that end a BETWEEN's range (`x BETWEEN 1 AND 2`), not a conjunction. */
function betweenAndTokens(tokens: readonly Token[]): ReadonlySet<number> {
  const ands = new Set<number>();
  // Per parenthesis depth: whether a BETWEEN there still waits for its AND.
  const waiting: boolean[] = [false];
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!.word;
    if (w === "(") waiting.push(false);
    else if (w === ")") {
      if (waiting.length > 1) waiting.pop();
    } else if (w === "BETWEEN") waiting[waiting.length - 1] = true;
    else if (w === "AND" && waiting[waiting.length - 1] === true) {
      waiting[waiting.length - 1] = false;
      ands.add(i);
    }
  }
  return ands;
}

/** Keywords that end an operand reaching back from IS (the start of a clause or of a boolean operand). */
const BOUNDARY_WORDS: ReadonlySet<string> = new Set(["SELECT", "DISTINCT", "ALL", "WHERE", "HAVING", "ON", "BY", "WHEN", "THEN", "ELSE", "OR", "AND", "NOT", "UNION", "INTERSECT", "EXCEPT", ",", ";"]);
/** Words after which NOT is infix (`x NOT LIKE p`) rather than the prefix NOT that binds looser than IS. */
const INFIX_NOT_FOLLOWERS: ReadonlySet<string> = new Set(["BETWEEN", "LIKE", "IN"]);

/** The index of the first token of the operand of the IS at `isToken`. */
function operandStartOf(tokens: readonly Token[], isToken: number, betweenAnds: ReadonlySet<number>): number {
  let depth = 0;
  for (let i = isToken - 1; i >= 0; i--) {
    const w = tokens[i]!.word;
    if (w === ")" || w === "END") {
      depth++;
      continue;
    }
    if (w === "(" || w === "CASE") {
      if (depth === 0) return i + 1;
      depth--;
      continue;
    }
    if (depth > 0 || !BOUNDARY_WORDS.has(w)) continue;
    if (w === "AND" && betweenAnds.has(i)) continue;
    // The NOT of `IS NOT NULL` (an earlier predicate inside this operand) or of `NOT LIKE`.
    if (w === "NOT" && (tokens[i - 1]?.word === "IS" || INFIX_NOT_FOLLOWERS.has(tokens[i + 1]?.word ?? ""))) continue;
    // The DISTINCT of an earlier `IS [NOT] DISTINCT FROM` inside this operand, not SELECT DISTINCT.
    if (w === "DISTINCT" && (tokens[i - 1]?.word === "IS" || (tokens[i - 1]?.word === "NOT" && tokens[i - 2]?.word === "IS"))) continue;
    return i + 1;
  }
  return 0;
}

/** Operators that bind tighter than IS DISTINCT FROM, so its right operand reads on past them. */
const TIGHTER_OPERATORS: ReadonlySet<string> = new Set(["+", "-", "*", "/", "%", "||", ".", "LIKE", "BETWEEN", "IN", "ESCAPE", "SIMILAR", "TO"]);
/** Words that start a literal whose value follows (`DATE '2024-01-01'`), so they still wait for an operand. */
const LITERAL_PREFIXES: ReadonlySet<string> = new Set(["DATE", "TIME", "TIMESTAMP", "INTERVAL"]);
const INTERVAL_UNITS: ReadonlySet<string> = new Set(["MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR", "SECONDS", "MINUTES", "HOURS", "DAYS"]);

/**
 * The index of the last token of the right operand of an `IS [NOT] DISTINCT FROM` whose
 * operand starts at token `from`: everything that binds tighter (arithmetic, `||`, BETWEEN,
 * LIKE, IN, calls, parenthesized parts and CASE ... END skipped whole), up to the first
 * token that does not continue it: a comparison or IS (same or looser precedence, left
 * associative), AND (not BETWEEN's), OR, a comma, a closing parenthesis or END of an
 * enclosing part, or a word after a complete operand (a clause keyword or an alias).
 */
function rightOperandEndOf(tokens: readonly Token[], from: number, betweenAnds: ReadonlySet<number>): number {
  let last = from - 1;
  // Whether the next token must start an operand (after an operator) or may end it.
  let expectOperand = true;
  for (let i = from; i < tokens.length; i++) {
    const w = tokens[i]!.word;
    if (w === "(" || w === "CASE") {
      // Skip the parenthesized part (a call's arguments, a subexpression) or CASE ... END whole.
      let depth = 0;
      for (; i < tokens.length; i++) {
        const x = tokens[i]!.word;
        if (x === "(" || x === "CASE") depth++;
        else if ((x === ")" || x === "END") && --depth === 0) break;
      }
      last = Math.min(i, tokens.length - 1);
      expectOperand = false;
      continue;
    }
    // A closing parenthesis, comma or semicolon never belongs to the operand, even a missing one.
    if (w === ")" || w === "," || w === ";") break;
    if (expectOperand) {
      last = i;
      // A sign or prefix NOT, or DATE '...' and INTERVAL '1' HOUR, still waits for the operand's value.
      expectOperand = w === "-" || w === "+" || w === "NOT" || LITERAL_PREFIXES.has(w);
      if (tokens[i - 1]?.word === "INTERVAL" && INTERVAL_UNITS.has(tokens[i + 1]?.word ?? "")) last = ++i;
      // A word followed by a parenthesis is a call: its arguments come next.
      if (/^[A-Z_]/.test(w) && tokens[i + 1]?.word === "(") expectOperand = false;
      continue;
    }
    if (w === "AND" && betweenAnds.has(i)) {
      expectOperand = true;
      last = i;
      continue;
    }
    // The operators that bind tighter, NOT LIKE / NOT BETWEEN / NOT IN as one.
    if ((w === "NOT" && INFIX_NOT_FOLLOWERS.has(tokens[i + 1]?.word ?? "")) || TIGHTER_OPERATORS.has(w)) {
      if (w === "NOT") i++;
      expectOperand = true;
      last = i;
      continue;
    }
    break;
  }
  return last;
}
