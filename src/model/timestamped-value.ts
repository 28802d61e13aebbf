import { ConstructionError } from "./errors.js";
import { MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant } from "./time.js";

/**
 * A value with its event timestamp, as data: what TestStream.addElements, a source's
 * read, ordered-list state and the `latest()` combiner take or give. A TimestampedValue is
 * one; so is any plain `{ value, timestamp }` object.
 */
export interface ValueWithTimestamp<T> {
  readonly value: T;
  readonly timestamp: Instant;
}

/**
 * A value with the event time it should carry (Beam's `TimestampedValue`). `create` of
 * such values is `createTimestamped`; a `map` or `flatMap` function that returns them (as
 * Beam Python's `Map` may) outputs each value at its timestamp, as `ctx.outputWithTimestamp`
 * does, under the same rules (moving a timestamp backwards needs `allowedTimestampSkew`).
 *
 * @example events.apply(map((e: Event) => timestamped(e, e.occurredAt)))
 */
export class TimestampedValue<T> implements ValueWithTimestamp<T> {
  // Nominal: a plain `{ value, timestamp }` object a function returns is an ordinary output.
  declare private readonly nominal: never;

  constructor(
    readonly value: T,
    readonly timestamp: Instant,
  ) {
    if (!Number.isFinite(timestamp) || timestamp < MIN_TIMESTAMP || timestamp > MAX_TIMESTAMP) {
      throw new ConstructionError(
        `timestamped(…, ${timestamp}): a timestamp is milliseconds since the epoch between MIN_TIMESTAMP and MAX_TIMESTAMP.`,
      );
    }
  }
}

/** `value` at event time `timestamp` (milliseconds since the epoch). */
export function timestamped<T>(value: T, timestamp: Instant): TimestampedValue<T> {
  return new TimestampedValue(value, timestamp);
}
