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

/**
 * onnxruntime-node once imported. A dynamic `import()` of a loaded module still resolves
 * it again (through every loader hook) and settles a promise: once per batch that was the
 * largest cost of RunInference's hot path besides the model itself.
 */
let runtime: Ort | undefined;

/** @internal onnxruntime-node, imported on first use: it is an optional peer dependency. */
export async function loadOnnxRuntime(importer?: () => Promise<unknown>): Promise<Ort> {
  if (importer === undefined && runtime !== undefined) return runtime;
  try {
    const ort = (await (importer ?? (() => import("onnxruntime-node")))()) as Ort;
    // Only the real package is remembered; a failed import is retried by the next call.
    if (importer === undefined) runtime = ort;
    return ort;
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
      // The session was made by loadModel, so the runtime is loaded: no await on the hot path.
      const ort = runtime ?? (await loadOnnxRuntime());
      const feeds = toFeeds(ort, session, batch, inputType);
      const results = options.outputNames === undefined ? await session.run(feeds) : await session.run(feeds, [...options.outputNames]);
      return splitOutputs(results, batch.length);
    },
    withModelId: (path) => onnxModelHandler({ ...options, path }),
    releaseModel: (session) => session.release(),
  };
}

/**
 * Builds one [batch, features] tensor per input from the examples' rows, checking each row
 * as it is copied: one pass over the batch, no intermediate array of rows.
 */
export function toFeeds(ort: Ort, session: OnnxSession, batch: readonly OnnxExample[], type: OnnxInputType): Record<string, OnnxTensor> {
  const first = batch[0];
  if (first === undefined) return {};
  const single = isRow(first);
  const names = single ? [session.inputNames[0]!] : Object.keys(first);
  const feeds: Record<string, OnnxTensor> = {};
  for (const name of names) {
    const rowOf = (i: number): ArrayLike<number> => {
      const row = single ? batch[i] : (batch[i] as Record<string, ArrayLike<number>>)[name];
      if (row === undefined || !isRow(row)) throw new OnnxError(`Example ${i} of the batch has no row for the ONNX input "${name}".`);
      return row;
    };
    const width = rowOf(0).length;
    const data = tensorData(type, batch.length * width);
    for (let i = 0; i < batch.length; i++) {
      const row = rowOf(i);
      if (row.length !== width) {
        throw new OnnxError(`Examples of one batch must have rows of the same length for input "${name}": example 0 has ${width}, example ${i} has ${row.length}.`);
      }
      if (data instanceof BigInt64Array) {
        for (let j = 0; j < width; j++) data[i * width + j] = BigInt(Math.trunc(Number(row[j])));
      } else {
        data.set(row, i * width);
      }
    }
    feeds[name] = new ort.Tensor(type, data, [batch.length, width]);
  }
  return feeds;
}

function isRow(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

function tensorData(type: OnnxInputType, n: number): Float32Array | Float64Array | Int32Array | BigInt64Array {
  switch (type) {
    case "int64":
      return new BigInt64Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    default:
      return new Float32Array(n);
  }
}

/**
 * One inference per example: row i of every output tensor. A single pass per example that
 * builds its record with every output at once; only int64 outputs need converting.
 */
export function splitOutputs(results: Readonly<Record<string, OnnxTensor>>, size: number): OnnxInference[] {
  const columns = Object.keys(results).map((name) => {
    const tensor = results[name]!;
    if (tensor.dims[0] !== size) throw new OnnxError(`ONNX output "${name}" has ${String(tensor.dims[0])} rows for a batch of ${size}.`);
    const data = tensor.data as ArrayLike<number | bigint>;
    const width = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    // Number typed arrays are copied as they are; int64 (BigInt) and anything else go through Number().
    const convert = !ArrayBuffer.isView(data) || data instanceof BigInt64Array || data instanceof BigUint64Array;
    return { name, data, width, scalar: tensor.dims.length === 1, convert };
  });
  const out = new Array<OnnxInference>(size);
  for (let i = 0; i < size; i++) {
    const inference: Record<string, number | number[]> = {};
    for (const { name, data, width, scalar, convert } of columns) {
      const at = i * width;
      if (scalar) {
        inference[name] = Number(data[at]);
        continue;
      }
      const row: number[] = [];
      if (convert) for (let j = 0; j < width; j++) row.push(Number(data[at + j]));
      else for (let j = 0; j < width; j++) row.push(data[at + j] as number);
      inference[name] = row;
    }
    out[i] = inference;
  }
  return out;
}
