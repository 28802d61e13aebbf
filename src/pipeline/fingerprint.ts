import { createHash } from "node:crypto";
import { describeWindowing } from "../model/index.js";
import type { ExternalTransformSpec, PipelineGraph } from "./graph.js";

/**
 * A graph's fingerprint: a per-transform description list and its SHA-256. Workers that
 * rebuild the pipeline from its module compare fingerprints to prove they built the same
 * graph (ARCHITECTURE.md, principle 4). The description includes user function source text
 * (read, never evaluated) so that editing a DoFn changes the fingerprint.
 */
export interface GraphFingerprint {
  readonly hash: string;
  readonly transforms: readonly { readonly label: string; readonly description: string }[];
}

/** What a fingerprint covers. */
export interface FingerprintOptions {
  /**
   * Include user functions' source text (the default). Off for `structuralFingerprint`,
   * which must agree between processes that compiled the same module differently.
   */
  readonly functionSource?: boolean;
}

export function graphFingerprint(graph: PipelineGraph, options: FingerprintOptions = {}): GraphFingerprint {
  const withSource = options.functionSource ?? true;
  const transforms: { label: string; description: string }[] = [];
  for (const t of graph.transforms.values()) {
    if (t.id === graph.rootId) continue;
    const io = (ids: Record<string, string>) =>
      Object.entries(ids)
        .map(([tag, id]) => {
          const pc = graph.pcollections.get(id);
          return pc ? `${tag}=${graph.transforms.get(pc.producer)?.fullLabel}.${pc.tag}:${pc.coder.toString()}:${describeWindowing(pc.windowing)}` : tag;
        })
        .join(",");
    const parts = [t.primitive?.kind ?? "composite", t.annotation?.kind ?? "", `in[${io(t.inputs)}]`, `out[${io(t.outputs)}]`];
    if (t.primitive?.kind === "parDo") parts.push(describeFn(t.primitive.doFn, withSource));
    if (t.primitive?.kind === "assignWindows") parts.push(describeWindowing(t.primitive.windowing));
    if (t.primitive?.kind === "read") parts.push(String(t.primitive.source));
    if (t.primitive?.kind === "external") parts.push(describeExternal(t.primitive));
    if (t.primitive?.kind === "testStream") parts.push(JSON.stringify(t.primitive.events, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)));
    transforms.push({ label: t.fullLabel, description: parts.join("|") });
  }
  const h = createHash("sha256");
  for (const t of transforms) h.update(`${t.label}\u0000${t.description}\u0001`);
  return { hash: h.digest("hex"), transforms };
}

/**
 * The first transform whose description differs between two fingerprints, for the error a
 * worker raises when it rebuilt a different pipeline; undefined when they are equal.
 */
export function firstDifference(a: GraphFingerprint, b: GraphFingerprint): string | undefined {
  const n = Math.max(a.transforms.length, b.transforms.length);
  for (let i = 0; i < n; i++) {
    const x = a.transforms[i];
    const y = b.transforms[i];
    if (x?.label !== y?.label || x?.description !== y?.description) return x?.label ?? y?.label;
  }
  return undefined;
}

/**
 * The fingerprint a worker process checks against the submitter's: labels, kinds, inputs
 * and outputs, coders, windowing and DoFn class names, but no function source. The worker
 * runs an esbuild bundle of the pipeline module while the submitter ran it through tsx (or
 * tsc), so the same function prints differently in the two; everything here does not.
 * A difference means pipeline construction was not deterministic (a label or a structure
 * that depends on randomness, the time, the environment or the host).
 */
export function structuralFingerprint(graph: PipelineGraph): GraphFingerprint {
  return graphFingerprint(graph, { functionSource: false });
}

/** An external transform: what its expansion service is asked for (not where the service runs). */
function describeExternal(spec: ExternalTransformSpec): string {
  const payload = spec.payload === undefined ? "" : createHash("sha256").update(spec.payload).digest("hex");
  const config = JSON.stringify(spec.config ?? null, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));
  return [spec.urn, payload, config, JSON.stringify(spec.configSchema ?? null), spec.outputTags.join(",")].join(":");
}

function describeFn(doFn: object, withSource: boolean): string {
  const ctor = (doFn as { constructor?: { name?: string } }).constructor?.name ?? "";
  const parts = [ctor];
  if (!withSource) return ctor;
  for (const key of ["process", "fn"]) {
    const f = (doFn as Record<string, unknown>)[key];
    if (typeof f === "function") parts.push(Function.prototype.toString.call(f));
  }
  return parts.join(":");
}
