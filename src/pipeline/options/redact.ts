import { Secret } from "../../model/index.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const SECRETS = Symbol("beam-ts.secretOptions");

/**
 * Options as shown to people and logs: every Secret value, and every value of an option
 * named in `secrets` (for plain records), is the string "****". Parsed options' secret
 * values are Secrets, which already print this way; this gives a copy whose values are all
 * plain, e.g. for a runner's `checkOptions`.
 *
 * @example
 * redactOptions(Options.parse(["--apiKey=hunter2"])).apiKey // "****"
 * redactOptions({ token: "t0k" }, new Set(["token"]))       // { token: "****" }
 */
export function redactOptions(options: Readonly<Record<string, unknown>>, secrets?: ReadonlySet<string>): Record<string, unknown> {
  const hidden = secrets ?? secretNamesOf(options);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) out[k] = (hidden.has(k) && v !== undefined) || Secret.isSecret(v) ? "****" : v;
  return out;
}

/** The names of secret options recorded on parsed options (empty for plain records). */
export function secretNamesOf(options: object): ReadonlySet<string> {
  return ((options as Record<symbol, unknown>)[SECRETS] as ReadonlySet<string> | undefined) ?? new Set();
}

/**
 * Returns `values` with non-enumerable hooks so printing (util.inspect), String() and
 * JSON.stringify show secrets as "****", while code reads the real values.
 */
export function redactedView(values: Record<string, unknown>, secrets: ReadonlySet<string>): Record<string, unknown> {
  const show = () => redactOptions(values, secrets);
  Object.defineProperties(values, {
    [SECRETS]: { value: secrets, enumerable: false },
    [INSPECT]: { value: show, enumerable: false },
    toJSON: { value: show, enumerable: false },
    toString: { value: () => JSON.stringify(show()), enumerable: false },
  });
  return values;
}
