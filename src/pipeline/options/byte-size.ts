/** Binary units: 1KB is 1024 bytes, as `--memoryBudget` documents. */
const BYTE_UNITS: Readonly<Record<string, number>> = { "": 1, B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };

/**
 * Parses a size such as `512MB`, `1.5GB`, `64kb`, `2G` or a plain number of bytes into whole
 * bytes (rounded down); undefined when the text is not a size of at least one byte. The grammar of
 * `--memoryBudget`, shared by option parsing and the runners that read the option.
 *
 * @example parseByteSize("1.5MB") // 1572864
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$/i.exec(text);
  if (m === null) return undefined;
  const unit = BYTE_UNITS[m[2]!.toUpperCase().replace(/^([KMGT])$/, "$1B")];
  const bytes = unit === undefined ? 0 : Math.floor(Number(m[1]) * unit);
  return bytes >= 1 ? bytes : undefined;
}
