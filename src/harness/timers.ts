import type { BoundedWindow, Coder, Instant } from "../model/index.js";
import { NO_FIRING } from "../model/index.js";
import { BufferReader, BufferWriter, type TimerData } from "../coders/index.js";
import type { TimeDomain } from "../transforms/index.js";

/** A timer family of a stateful ParDo (a declared timer is a family with one timer). */
export interface TimerFamilyDecl {
  /** The declared name: the timer family id on the wire. */
  readonly id: string;
  readonly domain: TimeDomain;
  /** A plain timer (TimerSpecs.timer): its dynamic tag on the wire is "". */
  readonly plain: boolean;
}

/** One timer of one window that the runner fired (or the bundle fires itself). */
export interface FiredTimer {
  readonly family: string;
  readonly tag: string;
  readonly key: unknown;
  readonly keyBytes: Uint8Array;
  readonly window: BoundedWindow;
  readonly fireTimestamp: Instant;
  readonly holdTimestamp: Instant;
}

/** A timer set or cleared in the current bundle. */
export interface TimerWrite {
  readonly family: string;
  readonly tag: string;
  readonly key: unknown;
  readonly keyBytes: Uint8Array;
  readonly window: BoundedWindow;
  /** Undefined for a clear. */
  readonly fireTimestamp: Instant | undefined;
  readonly holdTimestamp: Instant;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/**
 * The timers a bundle set and cleared, one write per (key, window, family, tag) — the
 * last one wins, as it would on the runner — encoded with Beam's timer coder
 * (`beam:coder:timer:v1`) and sent on the data channel's timer streams at bundle end.
 */
export class BundleTimers {
  private readonly writes = new Map<string, TimerWrite>();

  constructor(private readonly coder: Coder<TimerData<unknown>>) {}

  private static id(keyBytes: Uint8Array, window: BoundedWindow, family: string, tag: string): string {
    return `${latin1(keyBytes)}\u0000${window.id()}\u0000${family}\u0000${tag}`;
  }

  /** Records a set (`fireTimestamp` defined) or a clear. */
  write(w: TimerWrite): void {
    this.writes.set(BundleTimers.id(w.keyBytes, w.window, w.family, w.tag), w);
  }

  /** This bundle's write of a timer, if it made one. */
  written(keyBytes: Uint8Array, window: BoundedWindow, family: string, tag: string): TimerWrite | undefined {
    return this.writes.get(BundleTimers.id(keyBytes, window, family, tag));
  }

  /**
   * The earliest timer of (key, window) among `families` that this bundle set for before
   * `t`: when the runner fires a timer at `t`, such a timer is due too and fires first
   * (Beam fires a key's event-time timers in time order).
   */
  earliestSetBefore(keyBytes: Uint8Array, window: BoundedWindow, t: Instant, families: ReadonlySet<string>): TimerWrite | undefined {
    const prefix = `${latin1(keyBytes)}\u0000${window.id()}\u0000`;
    let best: TimerWrite | undefined;
    for (const [id, w] of this.writes) {
      if (!id.startsWith(prefix) || w.fireTimestamp === undefined || !families.has(w.family)) continue;
      if (w.fireTimestamp < t && (best === undefined || w.fireTimestamp < best.fireTimestamp!)) best = w;
    }
    return best;
  }

  /** The encoded timers per family, in the order they were first written. */
  encode(): Map<string, Uint8Array> {
    const writers = new Map<string, BufferWriter>();
    for (const w of this.writes.values()) {
      let out = writers.get(w.family);
      if (out === undefined) writers.set(w.family, (out = new BufferWriter()));
      const base = { userKey: w.key, dynamicTimerTag: w.tag, windows: [w.window] };
      this.coder.encode(
        w.fireTimestamp === undefined
          ? { ...base, clearBit: true }
          : { ...base, clearBit: false, fireTimestamp: w.fireTimestamp, holdTimestamp: w.holdTimestamp, pane: NO_FIRING },
        out,
        true,
      );
    }
    return new Map([...writers].map(([family, w]) => [family, w.finish()]));
  }
}

/**
 * Decodes a timer stream of one family into one firing per window; cleared timers (a
 * runner does not send them, but the coder allows them) are skipped. The raw key bytes
 * are kept: state and timers are addressed by them.
 */
export function decodeFiredTimers(coder: Coder<TimerData<unknown>>, keyCoder: Coder<unknown>, family: string, bytes: Uint8Array): FiredTimer[] {
  const reader = new BufferReader(bytes);
  const out: FiredTimer[] = [];
  while (reader.remaining > 0) {
    const start = reader.position;
    const t = coder.decode(reader, true);
    if (t.clearBit) continue;
    // The key is the timer's first component: its bytes are what the runner keyed on.
    const keyReader = new BufferReader(bytes.subarray(start));
    keyCoder.decode(keyReader, true);
    const keyBytes = bytes.slice(start, start + keyReader.position);
    for (const window of t.windows) {
      out.push({ family, tag: t.dynamicTimerTag, key: t.userKey, keyBytes, window, fireTimestamp: t.fireTimestamp, holdTimestamp: t.holdTimestamp });
    }
  }
  return out;
}
