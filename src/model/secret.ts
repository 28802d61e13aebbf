/**
 * Brands every Secret, also one made by another copy of beam-ts loaded in the same thread
 * (a bundled worker next to an installed package), where `instanceof` would say no.
 */
const BRAND = Symbol.for("beam-ts.Secret");
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** What a Secret shows wherever it is printed, logged, serialised or described. */
const REDACTED = "****";

/**
 * A value that must not be shown: a key, a password, a token. It prints, logs and serialises
 * as `****` (util.inspect and console.log, `String()`, template literals and `+`,
 * JSON.stringify, describeValue in error messages, Node's printing of an uncaught error that
 * holds it), and `reveal()` is the only way to read it. Secret pipeline options
 * (`option.string({ secret: true })`) are Secrets.
 *
 * Crossing boundaries: the JS value coder encodes a Secret under a tag of its own, so an
 * element holding one arrives as a Secret in another thread or worker (its bytes hold the
 * value: an encoded element must be decodable). structuredClone and `postMessage` copy no
 * private field, so a Secret posted raw arrives as an empty object, never as its value.
 *
 * @example
 * const key = new Secret("hunter2");
 * `${key}`;               // "****"
 * JSON.stringify({ key }); // '{"key":"****"}'
 * key.reveal();           // "hunter2": the one deliberate read
 */
export class Secret<T = string> {
  // A private field: no enumeration, spread, structuredClone or inspect reaches it.
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
    Object.freeze(this);
  }

  /**
   * The value. Call it where the value is used (a client's constructor, a request header),
   * never to print or log it.
   *
   * @example new Secret("hunter2").reveal() // "hunter2"
   */
  reveal(): T {
    return this.#value;
  }

  /**
   * Whether `value` is a Secret (of this or another loaded copy of beam-ts).
   *
   * @example Secret.isSecret(new Secret(1)) // true
   */
  static isSecret(value: unknown): value is Secret<unknown> {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** `****`: what String(), template literals and `+` show. */
  toString(): string {
    return REDACTED;
  }

  /** `****`: what JSON.stringify writes. */
  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  /** util.inspect, console.log and Node's uncaught-error printing. */
  [INSPECT](): string {
    return REDACTED;
  }

  static {
    // Node prints an uncaught error's properties with custom inspection off: a tag that is not
    // the class name shows there as `Secret [****] {}` (and Object.prototype.toString gives
    // "[object ****]"); the private value never shows.
    Object.defineProperty(this.prototype, BRAND, { value: true });
    Object.defineProperty(this.prototype, Symbol.toStringTag, { value: REDACTED });
  }
}
