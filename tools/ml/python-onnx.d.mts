// Types for python-onnx.mjs (so TypeScript tests can import it).

export declare const ONNX_VERSION: string;
export declare const ONNXRUNTIME_VERSION: string;

/** Path of a python with onnx, onnxruntime and numpy, in a venv under <cache>/python/ (made on first use). */
export declare function ensurePythonOnnx(opts?: { python?: string }): Promise<string>;

/** Runs a command with `input` on stdin; resolves with its stdout, rejects with its stderr. */
export declare function run(cmd: string, args: readonly string[], input?: string): Promise<string>;
