import { maskQuoted } from "./time-syntax.js";

/**
 * Calcite's IS predicates over any operand, which node-sql-parser's Flink grammar reads only
 * after a sum (`x + 1 IS NULL`, `f IS TRUE`): `x > 1 IS TRUE` and `a BETWEEN 1 AND 2 IS NOT
 * FALSE` are syntax errors to it, and `IS UNKNOWN` is one everywhere.
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
  const tokens = tokenize(maskQuoted(text));
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
    edits.push({ at: start, length: end - start, replacement: ")", mapsTo: start, order: 0 });
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
    if (e.length > 0) closings.push({ out: out.length, keyword: e.mapsTo });
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

const IS_CALL_PREFIX = "BEAM$IS_";

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
}

interface Piece {
  readonly outStart: number;
  readonly origStart: number;
  readonly copied: boolean;
}

/** Words, numbers and operators; masked quoted text is one token per (NUL) character, none a keyword. */
function tokenize(masked: string): Token[] {
  const re = /[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+|<>|<=|>=|!=|\|\||\S/g;
  return [...masked.matchAll(re)].map((m) => ({ word: m[0].toUpperCase(), start: m.index, end: m.index + m[0].length }));
}

/** Every `IS [NOT] TRUE | FALSE | UNKNOWN | NULL`, in text order. */
function findPredicates(tokens: readonly Token[]): { isToken: number; lastToken: number; name: string }[] {
  const found: { isToken: number; lastToken: number; name: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.word !== "IS") continue;
    const negated = tokens[i + 1]?.word === "NOT";
    const last = negated ? i + 2 : i + 1;
    const test = tokens[last]?.word;
    if (test === "TRUE" || test === "FALSE" || test === "UNKNOWN" || test === "NULL") {
      found.push({ isToken: i, lastToken: last, name: `${negated ? "NOT_" : ""}${test}` });
      i = last;
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
    return i + 1;
  }
  return 0;
}
