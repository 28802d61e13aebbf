import { GLOBAL_WINDOW_MAX_TIMESTAMP, formatInstant, type Instant } from "./time.js";

/**
 * A window: a finite (bounded) grouping of elements by event time. Every window has a
 * largest timestamp that can fall in it; GroupByKey emits at that time by default.
 */
export interface BoundedWindow {
  maxTimestamp(): Instant;
  /**
   * A string that is equal for equal windows; used to group by window. User windows
   * must return the same id for windows that are equal.
   */
  id(): string;
}

/** The single window that holds all of time; the default window of every PCollection. */
export class GlobalWindow implements BoundedWindow {
  static readonly INSTANCE = new GlobalWindow();
  private constructor() {}
  maxTimestamp(): Instant {
    return GLOBAL_WINDOW_MAX_TIMESTAMP;
  }
  id(): string {
    return "G";
  }
  toString(): string {
    return "GlobalWindow";
  }
}

/** The global window. */
export const GLOBAL_WINDOW = GlobalWindow.INSTANCE;

/** A window over the half-open interval [start, end) of event time. */
export class IntervalWindow implements BoundedWindow {
  /** The id, built on first use (grouping asks per element); #private so equality ignores it. */
  #id: string | undefined;
  constructor(
    readonly start: Instant,
    readonly end: Instant,
  ) {}
  maxTimestamp(): Instant {
    return this.end - 1;
  }
  id(): string {
    return (this.#id ??= `${this.start}:${this.end}`);
  }
  contains(other: IntervalWindow): boolean {
    return this.start <= other.start && this.end >= other.end;
  }
  intersects(other: IntervalWindow): boolean {
    return this.start < other.end && other.start < this.end;
  }
  span(other: IntervalWindow): IntervalWindow {
    return new IntervalWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  equals(other: BoundedWindow): boolean {
    return other instanceof IntervalWindow && other.start === this.start && other.end === this.end;
  }
  toString(): string {
    return `[${formatInstant(this.start)}, ${formatInstant(this.end)})`;
  }
}
