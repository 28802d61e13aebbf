// Imports a module of the compiled package (dist/), or says how to build it: in a clone of
// the repository dist/ exists only after `npm install` / `npm run build`.
import { existsSync } from "node:fs";

export async function loadBuilt(file) {
  const url = new URL(`../dist/${file}`, import.meta.url);
  if (!existsSync(url)) {
    process.stderr.write(`beam-ts is not built: ${url.pathname} is missing. Run \`npm run build\` in ${new URL("..", import.meta.url).pathname}.\n`);
    process.exit(1);
  }
  await import(url.href);
}
