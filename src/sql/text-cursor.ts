import { maskQuoted } from "./time-syntax.js";

/**
 * Where parse.ts's nodes are in the user's SQL text. node-sql-parser gives positions only for
 * function calls, so the converter walks the tree in text order and finds each identifier,
 * operator and literal by searching from where the previous one was found; each find moves
 * the cursor past it, so the next search starts after it. Operators and literals are searched
 * in the text with its quoted parts and comments masked (an operator inside a string is none).
 *
 * @example
 * const cursor = new TextCursor("SELECT a + 1 FROM t");
 * cursor.word("a"); // 7
 * cursor.operator("+"); // 9
 */
export class TextCursor {
  /** Where the next search starts. */
  offset = 0;
  /** The text with string literals, quoted identifiers and comments as MASK characters. */
  private readonly masked: string;

  constructor(private readonly text: string) {
    this.masked = maskQuoted(text);
  }

  /** Moves the cursor to `offset` and returns it: a position the parser gave. */
  moveTo(offset: number): number {
    this.offset = offset;
    return offset;
  }

  /** Moves the cursor to `offset` unless it is past it already. */
  advanceTo(offset: number): void {
    this.offset = Math.max(this.offset, offset);
  }

  /** The offset of `word` as a whole identifier at or after the cursor (else anywhere), or -1. */
  word(word: string): number {
    const find = (from: number): number => {
      const re = new RegExp(`(?<![A-Za-z0-9_$])\`?${escapeRegExp(word)}\`?(?![A-Za-z0-9_$])`, "gi");
      re.lastIndex = from;
      const m = re.exec(this.text);
      return m === null ? -1 : m.index;
    };
    let at = find(this.offset);
    if (at < 0) at = find(0);
    if (at >= 0) this.offset = at + word.length;
    return at;
  }

  /**
   * The offset of the operator `op` (as written, upper case: `+`, `<>`, `AND`) at or after the
   * cursor, outside parenthesized parts that open after the cursor (a call's arguments), or
   * -1. An infix operator follows its left operand, which the cursor has passed; a prefix one
   * is searched before its operand.
   */
  operator(op: string): number {
    const pattern = OPERATOR_PATTERNS[op] ?? new RegExp(`(?<![A-Za-z0-9_$])${escapeRegExp(op)}(?![A-Za-z0-9_$])`, "iy");
    let depth = 0;
    for (let i = this.offset; i < this.masked.length; i++) {
      const c = this.masked[i];
      if (c === "(") depth++;
      // A parenthesis closing a part that opened before the cursor: the operator may be after it.
      else if (c === ")") depth = Math.max(0, depth - 1);
      else if (depth === 0) {
        pattern.lastIndex = i;
        const m = pattern.exec(this.masked);
        if (m !== null) {
          this.offset = i + m[0].length;
          return i;
        }
      }
    }
    return -1;
  }

  /**
   * The offset of the first number or string literal at or after the cursor if it is the one
   * `written` accepts (given the literal's text), else -1. A literal time-syntax.ts wrote
   * (`FLOOR(ts TO DAY)` read as `FLOOR(ts, 'DAY')`) is not in the user's text: one found past
   * a TO is another literal, so this one gets no position and the cursor stays.
   */
  literal(kind: "number" | "string", written: (literal: string) => boolean): number {
    let start: number;
    let end: number;
    if (kind === "number") {
      const pattern = /(?<![A-Za-z0-9_$.])(?:-\s*)?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/g;
      pattern.lastIndex = this.offset;
      const m = pattern.exec(this.masked);
      if (m === null) return -1;
      start = m.index;
      end = m.index + m[0].length;
    } else {
      // A string literal is masked: the next run of the mask character.
      start = this.masked.indexOf(MASK, this.offset);
      if (start < 0) return -1;
      end = start;
      while (this.masked[end] === MASK) end++;
    }
    if (/(?<![A-Za-z0-9_$])TO(?![A-Za-z0-9_$])/i.test(this.masked.slice(this.offset, start))) return -1;
    if (!written(this.text.slice(start, end))) return -1;
    this.offset = end;
    return start;
  }
}

/** The character maskQuoted writes over quoted text and comments. */
const MASK = "\u0000";

/** Sticky patterns of the symbol operators, each not a piece of a longer one (`<` is not the start of `<=`). */
const OPERATOR_PATTERNS: Readonly<Record<string, RegExp>> = {
  "+": /\+/y,
  "-": /-/y,
  "*": /\*/y,
  "/": /\//y,
  "%": /%/y,
  "||": /\|\|/y,
  "=": /(?<![<>!])=/y,
  "<>": /<>/y,
  "!=": /!=/y,
  "<": /<(?![=>])/y,
  "<=": /<=/y,
  ">": /(?<!<)>(?!=)/y,
  ">=": /(?<!<)>=/y,
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
