/**
 * Sections of bench/RESULTS.md that a benchmark of its own owns, between
 * `<!-- name:start -->` and `<!-- name:end -->`: written by that benchmark, and kept when
 * `npm run bench` rewrites the rest of the file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const startOf = (name: string) => `<!-- ${name}:start -->`;
const endOf = (name: string) => `<!-- ${name}:end -->`;

/** `body` between the section's markers, replacing the section already in `text` or appended to it. */
export function withSection(text: string, name: string, body: string): string {
  const section = `${startOf(name)}\n${body.trimEnd()}\n${endOf(name)}`;
  const start = text.indexOf(startOf(name));
  const end = text.indexOf(endOf(name));
  if (start >= 0 && end > start) return text.slice(0, start) + section + text.slice(end + endOf(name).length);
  const gap = text === "" || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
  return `${text}${gap}${section}\n`;
}

/** The named sections of `text` (markers included) that it holds, in the order named. */
export function sectionsOf(text: string, names: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of names) {
    const start = text.indexOf(startOf(name));
    const end = text.indexOf(endOf(name));
    if (start >= 0 && end > start) found.push(text.slice(start, end + endOf(name).length));
  }
  return found;
}

/** The names of every section `text` holds, in the order they appear. */
export function sectionNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/<!-- ([\w.-]+):start -->/g)) {
    const name = m[1]!;
    if (!names.includes(name) && text.indexOf(endOf(name), m.index) > m.index) names.push(name);
  }
  return names;
}

/** Writes section `name` of the Markdown file `file` (created if missing); the rest stays. */
export function writeSection(file: string, name: string, body: string): void {
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  writeFileSync(file, withSection(old, name, body));
}
