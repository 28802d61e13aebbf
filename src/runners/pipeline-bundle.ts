import { builtinModules } from "node:module";
import path from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readFile } from "node:fs/promises";
import type { BuildOptions, Loader, Plugin } from "esbuild";
import { JobFailedError } from "../model/index.js";
import { WorkerEnv } from "../harness/contract.js";

/**
 * How a bundle treats npm packages:
 * - "bundle": copied into the bundle (workers on other hosts have no node_modules);
 * - "in-place": imported from where they are installed (worker threads of this process).
 */
export type PackageMode = "bundle" | "in-place";

/** One esbuild build of a pipeline module for workers (staging.ts, parallel-job.ts). */
export interface BundleRequest {
  /** The user's pipeline module, for messages and as the directory imports resolve from. */
  readonly module: string;
  /** The bundle's entry: JavaScript that imports beam-ts's worker entry and the module. */
  readonly main: string;
  /** One file (`outfile`), or an entry and its chunks with code splitting (`outdir`). */
  readonly output: { readonly outfile: string } | { readonly outdir: string; readonly entryName: string };
  readonly packages: PackageMode;
  /** Packages left out of a "bundle" bundle (native addons): workers require them at run time. */
  readonly externals?: readonly string[];
}

/**
 * Bundles a pipeline module with esbuild (ESM, platform node, names kept so default transform
 * names and DoFn classes match the submitter's). An inline source map without sources gives
 * workers the submitter's file:line positions, which default transform names are made of
 * (pipeline/naming.ts): workers run with source maps enabled. Each bundled file keeps its
 * own `import.meta.url` (and `dirname`, `filename`), so a default such as
 * `new URL("./data/*.txt", import.meta.url)` names the same file in a worker as in the
 * submitter, not a path inside the bundle's temporary folder.
 */
export async function bundlePipeline(request: BundleRequest): Promise<void> {
  // Loaded on demand: esbuild is a tool of the submitting process, never part of a worker.
  const esbuild = await import("esbuild");
  const externals = request.externals ?? [];
  const plugins: Plugin[] = [importMetaOfSources()];
  if (request.packages === "in-place") plugins.push(installedPackagesInPlace());
  else if (externals.length > 0) plugins.push(externalPackages(externals, path.dirname(request.module)));
  const output: BuildOptions =
    "outfile" in request.output
      ? { outfile: request.output.outfile }
      : { outdir: request.output.outdir, splitting: true, entryNames: request.output.entryName, outExtension: { ".js": ".mjs" } };
  try {
    await esbuild.build({
      stdin: { contents: request.main, resolveDir: path.dirname(request.module), sourcefile: "beam-ts-worker-main.mjs", loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      keepNames: true,
      ...output,
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      // CommonJS packages inside an ESM bundle call require() for Node builtins.
      banner: { js: `import { createRequire as __beamTsCreateRequire } from "node:module";\nconst require = __beamTsCreateRequire(import.meta.url);` },
      external: ["esbuild"],
      define: META_DEFINES,
      plugins,
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const detail = errors.length > 0 ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`).join("\n  ") : String(err);
    throw new JobFailedError(
      `Cannot bundle the pipeline module ${request.module} for the workers with esbuild:\n  ${detail}\n` +
        `Fix the module, or leave a package that cannot be bundled (a native addon) out with --stagingExternals=<package>.`,
      { cause: err },
    );
  }
}

/**
 * The file of one of beam-ts's own modules (`relative` to `base`, a module's URL, without
 * extension) as this installation has it: TypeScript sources in a clone, built JavaScript
 * in the package (dist/ holds .d.ts files, never .ts).
 */
export function installedModule(relative: string, base: string): string {
  for (const ext of [".ts", ".js"]) {
    const file = fileURLToPath(new URL(`${relative}${ext}`, base));
    if (existsSync(file)) return file;
  }
  throw new JobFailedError(`beam-ts's module ${relative} is missing from this installation at ${base}.`);
}

const META = { url: "__beamTsImportMetaUrl", dirname: "__beamTsImportMetaDirname", filename: "__beamTsImportMetaFilename" } as const;
const META_DEFINES = Object.fromEntries(Object.entries(META).map(([k, v]) => [`import.meta.${k}`, v]));
const LOADERS: Record<string, Loader> = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx" };

/**
 * Declares, in each file that uses `import.meta`, the constants `META_DEFINES` turns
 * `import.meta.url`, `.dirname` and `.filename` into, with the file's own location. The
 * declaration goes on the first line (a hashbang there becomes a comment) so that line
 * numbers, and with them default transform names, stay the file's.
 */
function importMetaOfSources(): Plugin {
  return {
    name: "beam-ts-import-meta",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (loader === undefined || args.namespace !== "file") return undefined;
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta")) return undefined;
        const values = { url: pathToFileURL(args.path).href, dirname: path.dirname(args.path), filename: args.path };
        const declaration = `const ${Object.entries(META).map(([k, name]) => `${name} = ${JSON.stringify(values[k as keyof typeof META])}`).join(", ")};`;
        return { contents: declaration + (text.startsWith("#!") ? "//" : "") + text, loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
}

const BUILTINS = new Set(builtinModules);
const RESOLVING = Symbol("beam-ts resolving");

/**
 * Leaves every file under a node_modules folder out of the bundle and imports it from where
 * it is installed, by absolute path. Besides saving work, this keeps one instance of each
 * package: beam-ts's worker entry, named by path, and the user's `import "beam-ts"` resolve
 * to the same installed files, so the entry sees the module's `Pipeline.run()`.
 */
function installedPackagesInPlace(): Plugin {
  return {
    name: "beam-ts-packages-in-place",
    setup(build) {
      // Bare specifiers and absolute paths: a relative import leads into node_modules only
      // from a file there, and those are not bundled.
      build.onResolve({ filter: /^[^.]/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.path.startsWith("node:") || BUILTINS.has(args.path)) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
        if (resolved.errors.length > 0 || resolved.external || !/[\\/]node_modules[\\/]/.test(resolved.path)) return undefined;
        // import() and import statements take URLs; require() takes a path.
        const spec = args.kind === "require-call" ? resolved.path : pathToFileURL(resolved.path).href;
        return { path: spec, external: true };
      });
    },
  };
}

/**
 * Packages left out of the bundle: each import becomes `require` through a require
 * function rooted at `$BEAM_TS_PACKAGES_FROM` on the worker (a directory whose node_modules
 * has them, e.g. the app directory of a container image), else at the submitter's module
 * directory (same host or same layout).
 */
function externalPackages(packages: readonly string[], fallbackDir: string): Plugin {
  const escaped = packages.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  const filter = new RegExp(`^(?:${escaped.join("|")})(?:/.*)?$`);
  return {
    name: "beam-ts-staging-externals",
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: "beam-ts-external" }));
      build.onLoad({ filter: /.*/, namespace: "beam-ts-external" }, (args) => ({
        loader: "js",
        contents: [
          `const from = process.env[${JSON.stringify(WorkerEnv.packagesFrom)}] || ${JSON.stringify(fallbackDir)};`,
          `module.exports = require("node:module").createRequire(from.endsWith("/") ? from : from + "/")(${JSON.stringify(args.path)});`,
        ].join("\n"),
      }));
    },
  };
}
