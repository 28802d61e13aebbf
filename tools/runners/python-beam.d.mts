// Types for python-beam.mjs (so TypeScript tests can import it).

/** The apache-beam release ensurePythonBeam installs (BEAM_TS_PYTHON_BEAM_VERSION overrides). */
export declare const PYTHON_BEAM_VERSION: string;

/**
 * Path of a python with apache-beam installed, in a venv under <cache>/python/ (created with
 * `python3 -m venv` and pip on first use; BEAM_TS_PYTHON names another python3).
 */
export declare function ensurePythonBeam(opts?: { version?: string; python?: string }): Promise<string>;
