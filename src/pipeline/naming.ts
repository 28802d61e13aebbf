import path from "node:path";

/**
 * Default transform names. Beam Python names `Map(lambda)` after the lambda's source
 * position so that two anonymous maps rarely collide; we do the same with the caller's
 * file and line, taken from a stack trace at construction time (never on a hot path).
 */
export function defaultName(kind: string, fn?: object): string {
  const fnName = (fn as { name?: unknown } | undefined)?.name;
  if (typeof fnName === "string" && fnName && fnName !== "anonymous" && !fnName.startsWith("bound ") && fnName !== kind.toLowerCase()) {
    return `${kind}(${fnName})`;
  }
  const site = callSite();
  return site ? `${kind}(${site})` : kind;
}

const INTERNAL = /[\\/]src[\\/](pipeline|transforms|model|coders|runtime|testing|io|metrics)[\\/]/;

function callSite(): string | undefined {
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  for (const line of stack) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!;
    if (file.startsWith("node:") || file.includes("node_modules")) continue;
    if (INTERNAL.test(file) && !file.endsWith(".test.ts")) continue;
    return `${path.basename(file)}:${m[2]}`;
  }
  return undefined;
}
