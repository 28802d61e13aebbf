import { createHash } from "node:crypto";
import { encodeToBytes } from "../../coders/index.js";
import { GLOBAL_WINDOW, ON_TIME_AND_ONLY_FIRING, describeValue, type BoundedWindow, type Coder, type PaneInfo } from "../../model/index.js";
import { FileIOError, messageOf } from "./file-io-error.js";
import { unsafeRelativeName, type FileNaming } from "./file-naming.js";
import { joinPath } from "./file-paths.js";
import type { FileSink } from "./file-sink.js";

/**
 * A file write as its pipeline needs it (Beam's WriteFiles with dynamic destinations):
 * `writeFiles` resolves its options into one, and the single-destination writers
 * (`ShardedWrite`) too. Plain data and functions, shared by the bounded (`bounded-write.ts`)
 * and the windowed (`windowed-write.ts`) pipelines.
 */
export interface WriteFilesSpec<T, D> {
  /** The transform's name, for messages ("writeFiles", "writeText"). */
  readonly what: string;
  /** Absolute directory the names of `namingFor` are relative to. */
  readonly to: string;
  /** True when elements choose their destination (`by`); false: every element goes to `fixedDestination`. */
  readonly dynamic: boolean;
  /** The destination of an element; only called when `dynamic`. */
  readonly by: (element: T) => D;
  readonly fixedDestination: D;
  /** Deterministic: destinations are grouped by their encoding. */
  readonly destinationCoder: Coder<D>;
  readonly sinkFor: (destination: D) => FileSink<T>;
  readonly namingFor: (destination: D) => FileNaming;
  /** Files per destination (per window and pane when unbounded); undefined: one per bundle. */
  readonly numShards: number | undefined;
  /** Checks an element before it is written or shuffled, throwing a message for the user. */
  readonly check: (element: unknown) => T;
  /** The elements' coder for the shuffle of `numShards`; the input's when absent. */
  readonly elementCoder: Coder<T> | undefined;
  /**
   * Names the write's temporary directories: `createTempDirectory(temp.prefix, temp.suffix)`
   * (bounded) or `streamingTempDirectory(...)`, in the prefix's directory.
   */
  readonly temp: { readonly prefix: string; readonly suffix: string };
}

/** The destination of `element`, checked so that its files stay under `to`; errors name the element. */
export function destinationOf<T, D>(spec: WriteFilesSpec<T, D>, element: T): D {
  if (!spec.dynamic) return spec.fixedDestination;
  let destination: D;
  try {
    destination = spec.by(element);
  } catch (err) {
    throw new FileIOError(
      `${spec.what}: the destination function (by) threw for the element ${describeValue(element)}: ${messageOf(err)}. ` +
        `Make it return a destination for every element, or filter the elements first.`,
      { cause: err, retryable: false },
    );
  }
  // Name a probe shard now, so a bad destination fails here, naming its element.
  const problem = namingProblem(spec, destination, { shardIndex: 0, numShards: 1 });
  if (problem !== undefined) {
    throw new FileIOError(
      `${spec.what}: the destination ${describeValue(destination)} of the element ${describeValue(element)} cannot name files under "${spec.to}": ` +
        `${problem}. Return a relative folder such as "customer-42" from by (or a naming that gives relative names).`,
      { retryable: false },
    );
  }
  return destination;
}

/** The window and pane of a probe name (a bounded write's): enough to find a destination that leaves `to`. */
const PROBE_WINDOW: BoundedWindow = GLOBAL_WINDOW;
const PROBE_PANE: PaneInfo = ON_TIME_AND_ONLY_FIRING;

/** Why the destination's naming cannot name this shard, or undefined if it can. */
function namingProblem<T, D>(spec: WriteFilesSpec<T, D>, destination: D, shard: { shardIndex: number; numShards: number }): string | undefined {
  let name: string;
  try {
    name = spec.namingFor(destination)({ window: PROBE_WINDOW, pane: PROBE_PANE, ...shard });
  } catch (err) {
    return `naming it threw: ${messageOf(err)}`;
  }
  const unsafe = unsafeRelativeName(name);
  return unsafe === undefined ? undefined : `its file name ${describeValue(name)} is unsafe: ${unsafe}`;
}

/**
 * The absolute final name of one shard of `destination`: its naming's name, checked, under
 * `to`. Throws naming the destination when the naming gives an unsafe name.
 */
export function finalFileOf<T, D>(
  spec: WriteFilesSpec<T, D>,
  destination: D,
  window: BoundedWindow,
  pane: PaneInfo,
  shardIndex: number,
  numShards: number,
): string {
  const name = spec.namingFor(destination)({ window, pane, shardIndex, numShards });
  const unsafe = unsafeRelativeName(name);
  if (unsafe !== undefined) {
    throw new FileIOError(
      `${spec.what}: the naming of the destination ${describeValue(destination)} gave the file name ${describeValue(name)} ` +
        `for shard ${shardIndex} of ${numShards}: ${unsafe}. Give names relative to "${spec.to}".`,
      { retryable: false },
    );
  }
  return joinPath(spec.to, name);
}

/**
 * The shard template (absolute prefix, suffix) the destination's files follow, when its
 * naming is a `defaultNaming`; undefined for a custom naming.
 */
export function templateOf<T, D>(spec: WriteFilesSpec<T, D>, destination: D): { prefix: string; suffix: string } | undefined {
  const template = spec.namingFor(destination).template;
  return template === undefined ? undefined : { prefix: joinPath(spec.to, template.prefix), suffix: template.suffix };
}

/** The destination's encoding: how destinations are grouped and carried to finalization. */
export function encodeDestination<T, D>(spec: WriteFilesSpec<T, D>, destination: D): Uint8Array {
  return encodeToBytes(spec.destinationCoder, destination);
}

/**
 * The folder of a destination's temporary files inside the write's temporary directory:
 * the directory itself for a single destination (as every writer always had), otherwise
 * `d-<hash of the destination's encoding>`, so each destination is finalized, and its
 * temporary files removed, on its own.
 */
export function destinationTempDir<T, D>(spec: WriteFilesSpec<T, D>, tempDir: string, encoded: Uint8Array): string {
  if (!spec.dynamic) return tempDir;
  return joinPath(tempDir, `d-${createHash("sha256").update(encoded).digest("hex").slice(0, 16)}`);
}

/** Hex of a destination's encoding: a Map key. */
export function destinationKey(encoded: Uint8Array): string {
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString("hex");
}
