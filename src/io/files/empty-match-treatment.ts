import { ConstructionError } from "../../model/index.js";
import { hasGlobWildcard } from "../filesystems/index.js";

/**
 * What a file pattern that matches nothing does (Beam's `EmptyMatchTreatment`):
 * `ALLOW` yields no files; `DISALLOW` fails naming the pattern; `ALLOW_IF_WILDCARD` allows
 * an empty match only for a pattern with a wildcard, so a literal path that does not exist
 * still fails. Beam's defaults: `matchFiles` DISALLOW, `matchAll` ALLOW_IF_WILDCARD; a
 * continuous match polls with ALLOW (a watched folder may well be empty for a while).
 */
export type EmptyMatchTreatment = "ALLOW" | "DISALLOW" | "ALLOW_IF_WILDCARD";

/**
 * Every EmptyMatchTreatment.
 *
 * @example EMPTY_MATCH_TREATMENTS.includes("ALLOW") // true
 */
export const EMPTY_MATCH_TREATMENTS: readonly EmptyMatchTreatment[] = ["ALLOW", "DISALLOW", "ALLOW_IF_WILDCARD"];

/**
 * Fails at construction unless `value` is an EmptyMatchTreatment.
 *
 * @example checkEmptyMatchTreatment(options.emptyMatchTreatment ?? "DISALLOW", "matchFiles")
 */
export function checkEmptyMatchTreatment(value: unknown, where: string): EmptyMatchTreatment {
  if (typeof value === "string" && (EMPTY_MATCH_TREATMENTS as readonly string[]).includes(value)) return value as EmptyMatchTreatment;
  throw new ConstructionError(`${where}: emptyMatchTreatment must be one of ${EMPTY_MATCH_TREATMENTS.join(", ")}; got ${String(value)}.`);
}

/**
 * Whether a pattern may match nothing under a treatment (Beam's FileSystems.match check).
 *
 * @example emptyMatchAllowed("logs/*.txt", "ALLOW_IF_WILDCARD") // true
 */
export function emptyMatchAllowed(pattern: string, treatment: EmptyMatchTreatment): boolean {
  return treatment === "ALLOW" || (treatment === "ALLOW_IF_WILDCARD" && hasGlobWildcard(pattern));
}
