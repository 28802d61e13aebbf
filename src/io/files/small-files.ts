import { readableFileStream, type FileSystem } from "../filesystems/index.js";

/**
 * Writes a small file whole (an owner file, a marker). `close` makes it visible: on an
 * object store the upload completes atomically, so a reader sees all of it or nothing.
 *
 * @example await writeSmallFile(fs, "s3://b/out/_counts.txt_SUCCESS", json, { durable: true });
 */
export async function writeSmallFile(fs: FileSystem, file: string, text: string, options: { readonly durable?: boolean } = {}): Promise<void> {
  const out = await fs.create(file, { mimeType: "application/json", ...options });
  try {
    await out.write(Buffer.from(text, "utf8"));
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
}

/**
 * The text of a small file, or undefined when it does not exist.
 *
 * @example const json = await readSmallFile(fs, marker);
 */
export async function readSmallFile(fs: FileSystem, file: string): Promise<string | undefined> {
  if ((await fs.metadata(file)) === undefined) return undefined;
  const handle = await fs.open(file);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of readableFileStream(handle)) chunks.push(chunk);
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await handle.close();
  }
}
