import type { ByteReader, ByteWriter, Coder, Instant } from "../model/index.js";
import { CoderUrns, iterableCoder, jsValueCoder, kvCoder, stringUtf8Coder } from "../coders/index.js";
import type { Match, NfaState, PartialMatch, TimedOutMatch } from "./nfa.js";

/**
 * A coder of A through a coder of B and two conversions. Used for values of this folder
 * whose parts need the events' own coder (matches, the NFA's state), where a plain JS
 * value coder would refuse events that are class instances.
 */
class MappedCoder<A, B> implements Coder<A> {
  readonly components: readonly Coder<unknown>[];
  readonly deterministic = false;
  constructor(
    readonly urn: string,
    private readonly name: string,
    private readonly inner: Coder<B>,
    private readonly to: (a: A) => B,
    private readonly from: (b: B) => A,
  ) {
    this.components = [inner as Coder<unknown>];
  }
  encode(value: A, writer: ByteWriter, nested: boolean): void {
    this.inner.encode(this.to(value), writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): A {
    return this.from(this.inner.decode(reader, nested));
  }
  toString(): string {
    return `${this.name}<${this.inner.components.map((c) => c.toString()).join(", ")}>`;
  }
}

const isJsValue = (c: Coder<unknown>): boolean => c.urn === CoderUrns.jsValue || c.urn === CoderUrns.jsValueDeterministic;

/**
 * The coder of matches whose events use `eventCoder`: the JS value coder when events use
 * it (the usual case; a standard beam-ts coder that portable runners accept), else the
 * stage names and event lists through `eventCoder`.
 *
 * @example
 * const c = matchCoder(jsValueCoder); // jsValueCoder
 */
export function matchCoder<E>(eventCoder: Coder<E>): Coder<Match<E>> {
  if (isJsValue(eventCoder as Coder<unknown>)) return jsValueCoder as Coder<Match<E>>;
  return new MappedCoder<Match<E>, Iterable<{ key: string; value: Iterable<E> }>>(
    "beam-ts:coder:cep_match:v1",
    "cep_match",
    iterableCoder(kvCoder(stringUtf8Coder, iterableCoder(eventCoder))),
    (m) => Object.entries(m).map(([key, value]) => ({ key, value })),
    (entries) => Object.fromEntries([...entries].map((e) => [e.key, [...e.value]])),
  );
}

/**
 * The coder of timed-out partial matches whose events use `eventCoder`.
 *
 * @example
 * const c = timedOutMatchCoder(jsValueCoder);
 */
export function timedOutMatchCoder<E>(eventCoder: Coder<E>): Coder<TimedOutMatch<E>> {
  if (isJsValue(eventCoder as Coder<unknown>)) return jsValueCoder as Coder<TimedOutMatch<E>>;
  return new MappedCoder<TimedOutMatch<E>, { key: unknown; value: Match<E> }>(
    "beam-ts:coder:cep_timed_out_match:v1",
    "cep_timed_out_match",
    kvCoder(jsValueCoder, matchCoder(eventCoder)),
    (t) => ({ key: t.timeoutTimestamp, value: t.match }),
    (kv) => ({ match: kv.value, timeoutTimestamp: kv.key as Instant }),
  );
}

/** The NFA's plain part (partial matches as event ids) as stored; events go separately. */
interface PlainNfa {
  readonly nextId: number;
  readonly partials: PartialMatch[];
  readonly completed: PartialMatch[];
}

/**
 * The coder of a key's NFA state in a state cell: partial matches as plain data (ids and
 * counters) and the events they refer to through `eventCoder`, so a checkpoint holds no
 * live JS object.
 *
 * @example
 * const c = nfaStateCoder(jsValueCoder);
 */
export function nfaStateCoder<E>(eventCoder: Coder<E>): Coder<NfaState<E>> {
  return new MappedCoder<NfaState<E>, { key: unknown; value: Iterable<{ key: unknown; value: E }> }>(
    "beam-ts:coder:cep_nfa_state:v1",
    "cep_nfa_state",
    kvCoder(jsValueCoder, iterableCoder(kvCoder(jsValueCoder, eventCoder))),
    (s) => ({
      key: { nextId: s.nextId, partials: s.partials, completed: s.completed } satisfies PlainNfa,
      value: [...s.events].map(([id, e]) => ({ key: [id, e.timestamp], value: e.value })),
    }),
    (kv) => {
      const plain = kv.key as PlainNfa;
      const events = new Map<number, { timestamp: Instant; value: E }>();
      for (const e of kv.value) {
        const [id, timestamp] = e.key as [number, Instant];
        events.set(id, { timestamp, value: e.value });
      }
      return { nextId: plain.nextId, partials: plain.partials, completed: plain.completed, events };
    },
  );
}
