import { IOError, messageOf } from "../../model/index.js";

export { messageOf };

/**
 * A PostgreSQL IO step failed at run time: the server cannot be reached, a query failed, a row
 * was refused. `retryable: false` marks a failure a retry cannot fix (a row that breaks a
 * constraint, a query that does not parse), so the runner fails the bundle at once.
 */
export class PostgresIOError extends IOError {
  /** PostgreSQL's SQLSTATE when the server refused something (`23505` unique violation). */
  readonly sqlState: string | undefined;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean; sqlState?: string }) {
    super(message, options);
    this.sqlState = options?.sqlState;
  }
}

/** The fields of a server error (pg's DatabaseError), when `err` is one. */
export interface ServerErrorFields {
  readonly code?: string;
  readonly detail?: string;
  readonly constraint?: string;
  readonly column?: string;
  readonly table?: string;
}

/** `err`'s SQLSTATE, when it came from the server. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as ServerErrorFields | undefined)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether `err` is about the data of a row, not the connection or the statement: SQLSTATE
 * class 22 (data exception: a value out of range, bad text for a type) or 23 (integrity
 * constraint violation: unique, foreign key, not null, check).
 */
export function isRowError(err: unknown): boolean {
  const state = sqlStateOf(err);
  return state !== undefined && (state.startsWith("22") || state.startsWith("23"));
}

/** The server's message with its SQLSTATE and detail: `duplicate key value … (23505; Key (id)=(1) already exists.)`. */
export function describeServerError(err: unknown): string {
  const fields = err as ServerErrorFields | undefined;
  const state = sqlStateOf(err);
  const extra = [state, fields?.detail].filter((s): s is string => typeof s === "string" && s.length > 0);
  return extra.length > 0 ? `${messageOf(err)} (${extra.join("; ")})` : messageOf(err);
}
