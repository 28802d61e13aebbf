import type { OptionDef, OptionSpecs } from "./option.js";

function line(name: string, spec: OptionDef<unknown>): string {
  const flag = spec.type === "boolean" ? `--${name}` : `--${name}=<${spec.type}>`;
  let text = spec.description;
  if (spec.required) text += " (required)";
  else if (spec.default !== undefined && spec.default !== false) text += ` (default: ${spec.secret ? "****" : String(spec.default)})`;
  if (spec.secret) text += " [secret]";
  return `  ${flag.padEnd(36)} ${text}`;
}

/** Formats --help: the program's own options first, then the standard ones. */
export function formatHelp(program: string, specs: OptionSpecs, standard: readonly string[]): string {
  const own = Object.entries(specs).filter(([n]) => !standard.includes(n));
  const std = Object.entries(specs).filter(([n]) => standard.includes(n));
  const parts = [`Usage: ${program} [--option=value ...]`, ""];
  if (own.length > 0) parts.push("Options:", ...own.map(([n, s]) => line(n, s)), "");
  parts.push("Standard options:", ...std.map(([n, s]) => line(n, s)));
  return parts.join("\n");
}
