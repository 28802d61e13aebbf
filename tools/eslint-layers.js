// A local ESLint rule that enforces ARCHITECTURE.md's dependency direction:
// a folder of src/ may import only from folders below it, and only through their
// index.ts (the folder's one import surface). Tests may reach inside their own folder.
import path from "node:path";

/** Each top-level folder of src/ and the folders it may import from. */
export const LAYERS = {
  model: [],
  // Generated from Beam's protos by the build (tools/proto); imported module by module.
  proto: [],
  metrics: ["model"],
  coders: ["model"],
  pipeline: ["model", "coders", "metrics"],
  transforms: ["model", "coders", "pipeline", "metrics"],
  runtime: ["model", "coders", "pipeline", "transforms", "metrics"],
  // Connectors also provide Enrichment handlers for their backends (src/ml's EnrichmentHandler).
  io: ["model", "coders", "pipeline", "transforms", "metrics", "ml"],
  testing: ["model", "coders", "pipeline", "transforms", "metrics"],
  // Beam SQL: compiles queries to ordinary transforms.
  sql: ["model", "coders", "pipeline", "transforms", "metrics"],
  // RunInference and Enrichment: model handlers and lookups built from ordinary transforms.
  ml: ["model", "coders", "pipeline", "transforms", "metrics"],
  // Pattern detection (CEP): an NFA inside a stateful ParDo with state and timers.
  cep: ["model", "coders", "pipeline", "transforms", "metrics"],
  harness: ["model", "coders", "pipeline", "transforms", "runtime", "metrics", "proto"],
  // The portable runner hosts the harness in LOOPBACK mode (a worker pool in-process).
  runners: ["model", "coders", "pipeline", "transforms", "runtime", "metrics", "proto", "harness"],
  // Cross-language: the expansion service serving beam-ts transforms (translation from
  // runners/portable, workers from harness).
  xlang: ["model", "coders", "pipeline", "transforms", "runtime", "metrics", "proto", "harness", "runners"],
  // Observers of running jobs (Prometheus, progress, lineage events): they read JobSnapshots only.
  observe: ["model", "pipeline", "metrics"],
  cli: ["model", "coders", "pipeline", "transforms", "runtime", "runners", "harness", "metrics", "xlang", "observe"],
};

/**
 * Folders with a second, light import surface besides index.ts: the harness's contract.ts
 * is what embedded runs use without loading gRPC and the generated protos; transforms'
 * element-wise.ts is how runners compose map/filter/flatMap steps, kept out of the public API.
 */
const LIGHT_SURFACES = { harness: "contract.js", transforms: "element-wise.js" };

const srcRoot = path.resolve(import.meta.dirname, "..", "src");

function topFolder(file) {
  const rel = path.relative(srcRoot, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : "(root)";
}

export const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "Dependencies point one way (docs/ARCHITECTURE.md)." },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = topFolder(file);
    if (from === undefined || from === "(root)") return {};
    return {
      ImportDeclaration(node) {
        const spec = node.source.value;
        if (typeof spec !== "string" || !spec.startsWith(".")) return;
        const target = path.resolve(path.dirname(file), spec);
        const to = topFolder(target);
        if (to === undefined || to === from) return;
        if (to === "(root)") {
          context.report({ node, message: `src/${from} must not import the package entry (${spec}).` });
          return;
        }
        const allowed = LAYERS[from] ?? [];
        if (!allowed.includes(to)) {
          context.report({
            node,
            message: `src/${from} may not import src/${to} (${spec}): dependencies point one way, see docs/ARCHITECTURE.md.`,
          });
          return;
        }
        const expectedIndex = path.join(srcRoot, to, "index.js");
        const light = LIGHT_SURFACES[to] === undefined ? undefined : path.join(srcRoot, to, LIGHT_SURFACES[to]);
        if (to !== "proto" && target !== expectedIndex && target !== light && !file.endsWith(".test.ts")) {
          context.report({
            node,
            message: `Import src/${to} through its index.ts ('${path.relative(path.dirname(file), expectedIndex)}'), not ${spec}.`,
          });
        }
      },
    };
  },
};
