/**
 * One error hierarchy for the whole project. Every error has a stable `code` that tools and
 * tests can match on, and a message that says where, what, and how to fix.
 */
export class BeamError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The pipeline was built wrongly; raised while constructing, before anything runs. */
export class ConstructionError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONSTRUCTION", message, options);
  }
}

/** A value could not be encoded or decoded. */
export class CoderError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CODER", message, options);
  }
}

/** Pipeline options were missing, malformed or invalid. */
export class OptionsError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("OPTIONS", message, options);
  }
}

/** A runner or environment cannot do what the pipeline asks; names the URN or capability. */
export class UnsupportedFeatureError extends BeamError {
  constructor(
    readonly feature: string,
    message: string,
  ) {
    super("UNSUPPORTED", message);
  }
}

/**
 * User code threw while processing. Carries the transform's full label, the element
 * (truncated) and the window; the original exception is the `cause`.
 */
export class UserCodeError extends BeamError {
  constructor(
    readonly transform: string,
    readonly element: string | undefined,
    readonly window: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("USER_CODE", message, options);
  }
}

/** The job failed; `cause` is the error that failed it. */
export class JobFailedError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("JOB_FAILED", message, options);
  }
}

/** An `assertThat` check did not hold. The message carries a readable expected/actual diff. */
export class AssertionFailedError extends BeamError {
  constructor(message: string) {
    super("ASSERTION", message);
  }
}

/** Renders any value for an error message, cut to `max` characters. */
export function describeValue(value: unknown, max = 200): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : stringifyLoosely(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

function stringifyLoosely(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `bytes[${value.length}]`;
  const seen = new WeakSet<object>();
  const json = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Map) return { "Map": [...v.entries()] };
    if (v instanceof Set) return { "Set": [...v.values()] };
    if (v instanceof Uint8Array) return `bytes[${v.length}]`;
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[circular]";
      seen.add(v);
    }
    return v;
  });
  return json ?? String(value);
}
