/**
 * The pieces of splittable DoFn elements that the executors of a parallel job hand out on
 * demand. Every executor receives every input element of a splittable DoFn (broadcast) and
 * splits it into the same pieces; for an element whose pieces are bounded, each executor
 * takes the next untaken piece when it has nothing else of its own to run, through a
 * counter per element in memory shared by all threads (as Flink's split enumerator hands a
 * source reader a split when it asks for one). A thread that started late or runs slower
 * takes fewer pieces, instead of everyone waiting at the end for its fixed share.
 *
 * The table maps an element to its counter by two 32-bit hashes of its key bytes (open
 * addressing, slots never freed). Slots are claimed with a compare-and-exchange, so two
 * executors that meet the same element agree on its slot. When an element's probe sequence
 * is full, every executor finds it full (slots are never freed), and the element falls
 * back to the fixed share: consistent without a lock.
 */
import { BufferWriter, encodeToBytes } from "../../../coders/index.js";
import type { Coder } from "../../../model/index.js";
import type { PieceSharing } from "../splittable-stage.js";
import { fnv1a } from "./exchange-sink.js";

/** Int32s per slot: state, hash 1, hash 2, next piece. */
const SLOT_INTS = 4;
const EMPTY = 0;
const WRITING = 1;
const READY = 2;
/** Slots probed before an element falls back to the fixed share. */
const MAX_PROBES = 64;
/** Default table size: 16,384 slots (256 KiB), far more elements than a job splits up front. */
const DEFAULT_SLOTS = 1 << 14;

export class PieceClaims {
  private readonly ints: Int32Array;
  private readonly slotCount: number;
  /** Occurrences of each key seen by this executor: equal elements get a counter each. */
  private readonly occurrences = new Map<string, number>();

  /** Wraps a table made by `PieceClaims.create` (in any thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer);
    this.slotCount = this.ints.length / SLOT_INTS;
  }

  static create(slots = DEFAULT_SLOTS): PieceClaims {
    return new PieceClaims(new SharedArrayBuffer(slots * SLOT_INTS * Int32Array.BYTES_PER_ELEMENT));
  }

  /**
   * The counter slot of the next occurrence of `key` in this executor (the n-th equal
   * element this executor meets shares a counter with the n-th the others meet), or
   * undefined when the table has no room for it.
   */
  slotFor(key: Uint8Array): number | undefined {
    const h1 = fnv1a(key);
    const h2 = murmurish(key);
    const seen = `${h1}:${h2}`;
    const occurrence = this.occurrences.get(seen) ?? 0;
    this.occurrences.set(seen, occurrence + 1);
    return this.find(mix(h1, occurrence), mix(h2, occurrence ^ 0x5bd1e995));
  }

  /** Takes the next piece of the element at `slot`: its index (pieces beyond the last mean none left). */
  take(slot: number): number {
    return Atomics.add(this.ints, slot * SLOT_INTS + 3, 1);
  }

  private find(h1: number, h2: number): number | undefined {
    const ints = this.ints;
    const start = (h1 >>> 0) % this.slotCount;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const slot = (start + probe) % this.slotCount;
      const at = slot * SLOT_INTS;
      let state = Atomics.compareExchange(ints, at, EMPTY, WRITING);
      if (state === EMPTY) {
        Atomics.store(ints, at + 1, h1);
        Atomics.store(ints, at + 2, h2);
        Atomics.store(ints, at, READY);
        return slot;
      }
      // Another executor is writing this slot's key: two stores away.
      while (state === WRITING) state = Atomics.load(ints, at);
      if (Atomics.load(ints, at + 1) === h1 && Atomics.load(ints, at + 2) === h2) return slot;
    }
    return undefined;
  }
}

/** A second hash, independent enough of FNV-1a that the pair is a 64-bit key. */
function murmurish(bytes: Uint8Array): number {
  let h = 0x9747b28c ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    h = Math.imul(h ^ bytes[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix(h);
}

function mix(h: number, n: number): number {
  return fmix(h ^ Math.imul(n, 0x9e3779b1));
}

/** MurmurHash3's finalizer: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * The piece sharing of one splittable step in executor `index` of `count`: bounded pieces
 * on demand through `claims`; unbounded ones (and any element the table has no room for)
 * as a fixed share, piece j of an element to executor (hash(element) + j) mod count.
 *
 * `fixedShares` gives every piece as a fixed share: a job with checkpoints needs it, since
 * the claims table is job-wide and each executor's snapshot can hold only its own pieces.
 */
export function pieceSharing(
  claims: PieceClaims,
  step: string,
  coder: Coder<unknown>,
  index: number,
  count: number,
  options: { readonly fixedShares?: boolean } = {},
): PieceSharing {
  const key = new BufferWriter();
  return {
    share(element, timestamp, window, pieceCount, onDemand) {
      const bytes = encodeToBytes(coder, element, true);
      if (onDemand && options.fixedShares !== true) {
        // The step, the element and where it is: equal elements of one step are told apart
        // by their occurrence (see slotFor).
        key.reset();
        key.writeUtf8(step, true);
        key.writeBytes(bytes);
        key.writeDoubleBE(timestamp);
        key.writeUtf8(window.id(), true);
        const slot = claims.slotFor(key.written());
        if (slot !== undefined) {
          return {
            onDemand: true,
            next: () => {
              const j = claims.take(slot);
              return j < pieceCount ? j : undefined;
            },
          };
        }
      }
      const owner = (fnv1a(bytes) >>> 0) % count;
      let j = -1;
      return {
        onDemand: false,
        next: () => {
          do j++;
          while (j < pieceCount && (owner + j) % count !== index);
          return j < pieceCount ? j : undefined;
        },
      };
    },
  };
}
