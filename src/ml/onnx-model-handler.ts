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
  const infer = (ort: Ort, session: OnnxSession, batch: readonly OnnxExample[]): Promise<OnnxInference[]> => {
    let feeds: Record<string, OnnxTensor>;
    try {
      feeds = toFeeds(ort, session, batch, inputType);
    } catch (err) {
      return Promise.reject(err);
    }
    const results = options.outputNames === undefined ? session.run(feeds) : session.run(feeds, [...options.outputNames]);
    return results.then((outputs) => splitOutputs(outputs, batch.length));
  };
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
    runInference(batch, session) {
      // The session was made by loadModel, so the runtime is loaded. Not an async function:
      // a batch makes no promise here besides onnxruntime's own.
      if (runtime === undefined) return loadOnnxRuntime().then((ort) => infer(ort, session, batch));
      return infer(runtime, session, batch);
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
    const width = rowOf(batch, 0, single, name).length;
    const data = tensorData(type, batch.length * width);
    const bigint = data instanceof BigInt64Array;
    for (let i = 0; i < batch.length; i++) {
      const row = rowOf(batch, i, single, name);
      if (row.length !== width) {
        throw new OnnxError(`Examples of one batch must have rows of the same length for input "${name}": example 0 has ${width}, example ${i} has ${row.length}.`);
      }
      if (bigint) {
        for (let j = 0; j < width; j++) data[i * width + j] = BigInt(Math.trunc(Number(row[j])));
      } else {
        data.set(row, i * width);
      }
    }
    feeds[name] = new ort.Tensor(type, data, [batch.length, width]);
  }
  return feeds;
}

/** Example i's row for the input `name` (the example itself when the model has one input). */
function rowOf(batch: readonly OnnxExample[], i: number, single: boolean, name: string): ArrayLike<number> {
  const row = single ? batch[i] : (batch[i] as Record<string, ArrayLike<number>>)[name];
  if (row === undefined || !isRow(row)) throw new OnnxError(`Example ${i} of the batch has no row for the ONNX input "${name}".`);
  return row;
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

/** One output tensor, as splitOutputs reads it. */
interface Column {
  readonly name: string;
  readonly data: ArrayLike<number | bigint>;
  /** Numbers per example (the product of the dimensions after the batch's). */
  readonly width: number;
  /** Shape [N]: each example's inference is a number, not an array. */
  readonly scalar: boolean;
  /** int64 (BigInt) and anything but a number typed array go through Number(). */
  readonly convert: boolean;
  /**
   * An array of `width` doubles that each row starts as a copy of: a copy of an array of
   * doubles is one allocation of exactly the row's size, where pushing to an empty array
   * allocates for 17 and grows past that.
   */
  readonly template: number[];
}

/**
 * One inference per example: row i of every output tensor. A single pass per example that
 * builds its record with every output at once; only int64 outputs need converting.
 */
export function splitOutputs(results: Readonly<Record<string, OnnxTensor>>, size: number): OnnxInference[] {
  const columns: Column[] = [];
  for (const name of Object.keys(results)) {
    const tensor = results[name]!;
    if (tensor.dims[0] !== size) throw new OnnxError(`ONNX output "${name}" has ${String(tensor.dims[0])} rows for a batch of ${size}.`);
    const data = tensor.data as ArrayLike<number | bigint>;
    let width = 1;
    for (let d = 1; d < tensor.dims.length; d++) width *= tensor.dims[d]!;
    const convert = !ArrayBuffer.isView(data) || data instanceof BigInt64Array || data instanceof BigUint64Array;
    const template: number[] = [];
    for (let j = 0; j < width; j++) template.push(0.5);
    columns.push({ name, data, width, scalar: tensor.dims.length === 1, convert, template });
  }
  const out = new Array<OnnxInference>(size);
  for (let i = 0; i < size; i++) {
    const inference: Record<string, number | number[]> = {};
    for (let c = 0; c < columns.length; c++) {
      const { name, data, width, scalar, convert, template } = columns[c]!;
      const at = i * width;
      if (scalar) {
        inference[name] = Number(data[at]);
        continue;
      }
      const row = template.slice();
      if (convert) for (let j = 0; j < width; j++) row[j] = Number(data[at + j]);
      else for (let j = 0; j < width; j++) row[j] = data[at + j] as number;
      inference[name] = row;
    }
    out[i] = inference;
  }
  return out;
}
