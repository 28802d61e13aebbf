import { BeamError, ConstructionError } from "../model/index.js";
import type { ModelHandler } from "./model-handler.js";

/** The element types an ONNX input tensor can be built with. */
export type OnnxInputType = "float32" | "float64" | "int32" | "int64";

/**
 * One example of an ONNX model: a feature row (an array or a typed array, all of the same
 * length within a batch) for the model's one input, or a row per input name.
 */
export type OnnxExample = ArrayLike<number> | Readonly<Record<string, ArrayLike<number>>>;

/**
 * One inference: per output name, the example's row of that output (a number for an output
 * of shape [N], an array for [N, …] flattened). int64 outputs are converted to numbers.
 */
export type OnnxInference = Readonly<Record<string, number | number[]>>;

/** Options of `onnxModelHandler`. */
export interface OnnxModelHandlerOptions {
  /** The .onnx file; also the model's id (the shared cache key, PredictionResult.modelId). */
  readonly path: string;
  /** Element type of the input tensors (default float32). */
  readonly inputType?: OnnxInputType;
  /** Outputs to fetch (default: all of the model's). */
  readonly outputNames?: readonly string[];
  /** Threads onnxruntime uses inside one operator (default: onnxruntime's, the number of cores). */
  readonly intraOpNumThreads?: number;
  /** Batch size bounds the model imposes (a fixed batch dimension). */
  readonly batchSizeHints?: { readonly minSize?: number; readonly maxSize?: number };
}

/** onnxruntime-node is missing, or a model could not be loaded or run. */
export class OnnxError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ML", message, options);
  }
}

/**
 * The parts of onnxruntime-node this handler uses, declared here: the package is an optional
 * peer dependency, so beam-ts's published declarations must not import its types (a
 * consumer without it would not compile them).
 */
export interface OnnxTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
/** An onnxruntime-node InferenceSession, as this handler uses it. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>, fetches?: string[]): Promise<Record<string, OnnxTensor>>;
  release(): Promise<void>;
}
interface Ort {
  readonly InferenceSession: { create(path: string, options: { executionProviders: string[]; intraOpNumThreads?: number }): Promise<OnnxSession> };
  readonly Tensor: new (type: OnnxInputType, data: Float32Array | Float64Array | Int32Array | BigInt64Array, dims: readonly number[]) => OnnxTensor;
}

/** @internal onnxruntime-node, imported on first use: it is an optional peer dependency. */
export async function loadOnnxRuntime(importer: () => Promise<unknown> = () => import("onnxruntime-node")): Promise<Ort> {
  try {
    return (await importer()) as Ort;
  } catch (err) {
    throw new OnnxError(`onnxModelHandler needs the optional peer dependency onnxruntime-node: npm install onnxruntime-node`, { cause: err });
  }
}

/**
 * A ModelHandler for ONNX models on onnxruntime-node (CPU). A batch of examples becomes one
 * tensor of shape [batch, features] per input; each output's rows are split back into one
 * inference per example. The InferenceSession is loaded once per process (per worker
 * thread) and shared by every DoFn instance: its memory, about the size of the .onnx file
 * plus onnxruntime's arena, is paid once per thread (docs/ML.md).
 *
 * @example
 * const scored = rows.apply(runInference(onnxModelHandler({ path: "models/churn.onnx" }), { batch: { maxSize: 256 } }));
 */
export function onnxModelHandler(options: OnnxModelHandlerOptions): ModelHandler<OnnxExample, OnnxInference, OnnxSession> {
  if (typeof options?.path !== "string" || options.path === "") {
    throw new ConstructionError(`onnxModelHandler needs { path: "model.onnx" }.`);
  }
  const inputType = options.inputType ?? "float32";
  return {
    modelId: options.path,
    ...(options.batchSizeHints !== undefined ? { batchSizeHints: options.batchSizeHints } : {}),
    async loadModel() {
      const ort = await loadOnnxRuntime();
      try {
        return await ort.InferenceSession.create(options.path, {
          executionProviders: ["cpu"],
          ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
        });
      } catch (err) {
        throw new OnnxError(`onnxModelHandler could not load the ONNX model ${options.path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
    async runInference(batch, session) {
      const ort = await loadOnnxRuntime();
      const feeds = toFeeds(ort, session, batch, inputType);
      const results = options.outputNames === undefined ? await session.run(feeds) : await session.run(feeds, [...options.outputNames]);
      return splitOutputs(results, batch.length);
    },
    withModelId: (path) => onnxModelHandler({ ...options, path }),
    releaseModel: (session) => session.release(),
  };
}

/** Builds one [batch, features] tensor per input from the examples' rows. */
export function toFeeds(ort: Ort, session: OnnxSession, batch: readonly OnnxExample[], type: OnnxInputType): Record<string, OnnxTensor> {
  const first = batch[0];
  if (first === undefined) return {};
  const single = isRow(first);
  const names = single ? [session.inputNames[0]!] : Object.keys(first);
  const feeds: Record<string, OnnxTensor> = {};
  for (const name of names) {
    const rows = batch.map((e, i) => {
      const row = single ? (e as ArrayLike<number>) : (e as Record<string, ArrayLike<number>>)[name];
      if (row === undefined || !isRow(row)) throw new OnnxError(`Example ${i} of the batch has no row for the ONNX input "${name}".`);
      return row;
    });
    const width = rows[0]!.length;
    const bad = rows.findIndex((r) => r.length !== width);
    if (bad >= 0) throw new OnnxError(`Examples of one batch must have rows of the same length for input "${name}": example 0 has ${width}, example ${bad} has ${rows[bad]!.length}.`);
    feeds[name] = new ort.Tensor(type, fill(type, rows, width), [rows.length, width]);
  }
  return feeds;
}

function isRow(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

function fill(type: OnnxInputType, rows: readonly ArrayLike<number>[], width: number): Float32Array | Float64Array | Int32Array | BigInt64Array {
  const n = rows.length * width;
  if (type === "int64") {
    const out = new BigInt64Array(n);
    rows.forEach((r, i) => {
      for (let j = 0; j < width; j++) out[i * width + j] = BigInt(Math.trunc(Number(r[j])));
    });
    return out;
  }
  const out = type === "float64" ? new Float64Array(n) : type === "int32" ? new Int32Array(n) : new Float32Array(n);
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}

/** One inference per example: row i of every output tensor. */
export function splitOutputs(results: Readonly<Record<string, OnnxTensor>>, size: number): OnnxInference[] {
  const out: Record<string, number | number[]>[] = Array.from({ length: size }, () => ({}));
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.dims[0] !== size) throw new OnnxError(`ONNX output "${name}" has ${String(tensor.dims[0])} rows for a batch of ${size}.`);
    const data = tensor.data as ArrayLike<number | bigint>;
    const width = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < size; i++) {
      const row: number[] = new Array<number>(width);
      for (let j = 0; j < width; j++) row[j] = Number(data[i * width + j]);
      out[i]![name] = tensor.dims.length === 1 ? row[0]! : row;
    }
  }
  return out;
}
