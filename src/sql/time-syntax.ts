/**
 * Calcite's date/time call syntax that node-sql-parser's Flink grammar does not read,
 * rewritten into calls it does, each rewrite exactly as long as the text it replaces so
 * every offset (and so every error position) stays that of the user's text:
 *
 * - `FLOOR(ts TO HOUR)`, `CEIL(ts TO DAY)`: ` TO HOUR)` becomes `,'HOUR')`, a second
 *   argument the binder reads as the unit.
 * - `TIMESTAMPADD(MINUTE, n, ts)`, `TIMESTAMPDIFF(DAY, a, b)`: the unit moves into the
 *   name, `TIMESTAMPADD_MINUTE(n, ts)`; parse.ts moves it back into the arguments.
 *
 * String literals, quoted identifiers and comments are left alone.
 *
 * @example rewriteTimeSyntax("SELECT FLOOR(ts TO HOUR) FROM t") // "SELECT FLOOR(ts,'HOUR')  FROM t"
 */
export function rewriteTimeSyntax(text: string): string {
  const masked = maskQuoted(text);
  const edits: { readonly at: number; readonly length: number; readonly replacement: string }[] = [];
  for (const m of masked.matchAll(/\b(TIMESTAMPADD|TIMESTAMPDIFF)(\s*)\((\s*)([A-Za-z_]+)(\s*),/gi)) {
    const [all, fn, s1, s2, unit, s3] = m as unknown as [string, string, string, string, string, string];
    edits.push({ at: m.index, length: all.length, replacement: `${fn}_${unit}(${" ".repeat(s1.length + s2.length + s3.length)}` });
  }
  for (const m of masked.matchAll(/(\s+)TO(\s+)([A-Za-z_]+)(\s*)\)/gi)) {
    const [all, , , unit] = m as unknown as [string, string, string, string];
    const replacement = `,'${unit}')`;
    edits.push({ at: m.index, length: all.length, replacement: replacement.padEnd(all.length, " ") });
  }
  if (edits.length === 0) return text;
  let out = "";
  let from = 0;
  for (const e of [...edits].sort((a, b) => a.at - b.at)) {
    if (e.at < from) continue;
    out += text.slice(from, e.at) + e.replacement;
    from = e.at + e.length;
  }
  return out + text.slice(from);
}

/** The text with string literals, quoted identifiers and comments replaced by NUL characters (same length); is-predicate-syntax.ts reads it too. */
export function maskQuoted(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    let end = -1;
    if (c === "'" || c === '"' || c === "`") {
      end = i + 1;
      while (end < text.length) {
        if (text[end] === c) {
          if (text[end + 1] === c) end += 2;
          else break;
        } else end++;
      }
      end = Math.min(end + 1, text.length);
    } else if (c === "-" && text[i + 1] === "-") {
      end = text.indexOf("\n", i);
      if (end < 0) end = text.length;
    } else if (c === "/" && text[i + 1] === "*") {
      end = text.indexOf("*/", i + 2);
      end = end < 0 ? text.length : end + 2;
    }
    if (end < 0) {
      out += c;
      i++;
    } else {
      out += "\u0000".repeat(end - i);
      i = end;
    }
  }
  return out;
}
