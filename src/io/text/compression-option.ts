/** How files are decompressed: by extension (`.gz`), always gzip, or never. */
export type ReadCompression = "auto" | "gzip" | "none";

/**
 * Whether a file is read through gunzip.
 *
 * @example isGzipped("logs/a.txt.gz", "auto") // true
 */
export function isGzipped(file: string, compression: ReadCompression): boolean {
  return compression === "gzip" || (compression === "auto" && file.toLowerCase().endsWith(".gz"));
}
