import type { Duration, Instant } from "../model/index.js";
import { ConstructionError } from "../model/index.js";

/**
 * How a stage's events may be separated from the events before them (Flink CEP's
 * contiguity): `strict` (`next`, `consecutive()`): no other event in between; `relaxed`
 * (`followedBy`, a loop's default): events that do not match are skipped, the first that
 * matches is taken; `nonDeterministicRelaxed` (`followedByAny`, `allowCombinations()`): any
 * event may be skipped, matching ones too, so every combination is tried.
 */
export type Contiguity = "strict" | "relaxed" | "nonDeterministicRelaxed";

/**
 * What a condition sees besides the event (Flink's IterativeCondition.Context): the events
 * the partial match has taken so far, per stage name, and the event's timestamp.
 *
 * @example
 * const ctx: IterativeContext<number> = { eventsFor: () => [1, 2], timestamp: 0 };
 * ctx.eventsFor("view").length; // 2
 */
export interface IterativeContext<E> {
  /** Events taken so far by the stage `name` in this partial match (in order), or []. */
  eventsFor(name: string): readonly E[];
  /** The event time of the event being tested. */
  readonly timestamp: Instant;
}

/**
 * A predicate on an event; it may look at the partial match through `ctx` (Flink's
 * IterativeCondition). Conditions must be pure: the matcher calls them any number of times.
 *
 * @example
 * const pricier: Condition<{ price: number }> = (e, ctx) => ctx.eventsFor("view").every((v) => e.price > v.price);
 */
export type Condition<E> = (event: E, ctx: IterativeContext<E>) => boolean;

/**
 * What a stage does: take events, or forbid them (`notNext`, `notFollowedBy`).
 *
 * @example
 * const kind: StageKind = begin<number>("a").notNext("b").stages[1]!.kind; // "notNext"
 */
export type StageKind = "take" | "notNext" | "notFollowedBy";

/**
 * One named stage of a pattern (Flink's individual pattern), as the matcher reads it:
 * the condition, the quantifier (`min`..`max` events, `max` Infinity for loops), the
 * contiguity to the previous stage and between the stage's own events.
 *
 * @example
 * const { min, max } = begin<number>("a").times(2, 3).stages[0]!; // 2, 3
 */
export interface Stage<E> {
  readonly name: string;
  readonly kind: StageKind;
  readonly condition: Condition<E>;
  /** Contiguity between the previous stage's last event and this stage's first. */
  readonly contiguity: Contiguity;
  readonly min: number;
  readonly max: number;
  /** Contiguity between this stage's own events (loops and times). */
  readonly inner: Contiguity;
  readonly greedy: boolean;
  readonly until: Condition<E> | undefined;
  /** Which quantifier was applied, for validation and messages. */
  readonly quantifier: "single" | "oneOrMore" | "timesOrMore" | "times";
  readonly optional: boolean;
}

const always: Condition<never> = () => true;

/**
 * A pattern sequence (Flink CEP's Pattern API): immutable; every method returns a new
 * pattern. Methods that configure (`where`, `or`, quantifiers, `until`, ...) apply to the
 * last stage; `next`, `followedBy`, `followedByAny`, `notNext` and `notFollowedBy` add a
 * stage. Start one with `begin`.
 *
 * @example
 * const funnel = begin<Click>("view").where((e) => e.page === "product")
 *   .followedBy("cart").where((e) => e.page === "cart")
 *   .followedBy("purchase").where((e) => e.page === "checkout")
 *   .within(10 * 60_000);
 */
export class Pattern<E> {
  private constructor(
    /** The stages in order. */
    readonly stages: readonly Stage<E>[],
    /** The largest span (ms) from a match's first event to its last, exclusive; undefined for none. */
    readonly windowTime: Duration | undefined,
  ) {}

  /** @internal Starts a pattern; use `begin`. */
  static start<E>(name: string): Pattern<E> {
    return new Pattern<E>([newStage<E>(name, "take", "relaxed")], undefined);
  }

  /** The last stage's name. */
  get name(): string {
    return this.last.name;
  }

  /** Adds a stage whose first event must directly follow the previous stage's last (strict contiguity). */
  next(name: string): Pattern<E> {
    return this.add(name, "take", "strict");
  }

  /** Adds a stage after the previous one, skipping events that do not match it (relaxed contiguity). */
  followedBy(name: string): Pattern<E> {
    return this.add(name, "take", "relaxed");
  }

  /** Adds a stage after the previous one, skipping any events, matching ones too (non-deterministic relaxed contiguity). */
  followedByAny(name: string): Pattern<E> {
    return this.add(name, "take", "nonDeterministicRelaxed");
  }

  /** Adds a stage whose condition the event right after the previous stage must not meet. */
  notNext(name: string): Pattern<E> {
    return this.add(name, "notNext", "strict");
  }

  /** Adds a stage whose condition no event between the previous stage and the next one may meet. */
  notFollowedBy(name: string): Pattern<E> {
    return this.add(name, "notFollowedBy", "relaxed");
  }

  /** The last stage's events must also meet `condition` (AND with earlier `where`s). */
  where(condition: Condition<E>): Pattern<E> {
    const previous = this.last.condition;
    const first = previous === always;
    return this.withLast({ condition: first ? condition : (e, ctx) => previous(e, ctx) && condition(e, ctx) });
  }

  /** The last stage's events may meet `condition` instead (OR with the conditions so far). */
  or(condition: Condition<E>): Pattern<E> {
    const previous = this.last.condition;
    return this.withLast({ condition: (e, ctx) => previous(e, ctx) || condition(e, ctx) });
  }

  /** The last stage takes one or more events (a loop; relaxed contiguity between them unless `consecutive()`). */
  oneOrMore(): Pattern<E> {
    return this.quantify("oneOrMore", 1, Infinity);
  }

  /** The last stage takes `n` or more events. */
  timesOrMore(n: number): Pattern<E> {
    checkCount(this.last.name, "timesOrMore", n, 1);
    return this.quantify("timesOrMore", n, Infinity);
  }

  /** The last stage takes exactly `n` events, or between `min` and `max` (both inclusive). */
  times(n: number, max?: number): Pattern<E> {
    checkCount(this.last.name, "times", n, max === undefined ? 1 : 0);
    if (max === undefined) return this.quantify("times", n, n);
    checkCount(this.last.name, "times", max, 1);
    if (max <= n) {
      throw new ConstructionError(`Pattern stage "${this.last.name}": times(${n}, ${max}) needs min < max; use times(${n}) for an exact count.`);
    }
    const p = this.quantify("times", n, max);
    return n === 0 ? p.withLast({ optional: true, min: 0 }) : p;
  }

  /** The last stage may be skipped: it takes zero events or what its quantifier says. */
  optional(): Pattern<E> {
    this.checkTakes("optional()");
    return this.withLast({ optional: true, min: 0 });
  }

  /**
   * The last stage (a loop or times) takes as many events as it can: it moves on to the next
   * stage only at an event it does not match (a simplification of Flink's greedy; see
   * docs/PATTERNS.md).
   */
  greedy(): Pattern<E> {
    this.checkLooping("greedy()", false);
    return this.withLast({ greedy: true });
  }

  /** The last stage's events (a loop or times) must be contiguous: no other event in between. */
  consecutive(): Pattern<E> {
    this.checkLooping("consecutive()", false);
    return this.withLast({ inner: "strict" });
  }

  /** The last stage's events (a loop or times) may skip any events, so every combination matches. */
  allowCombinations(): Pattern<E> {
    this.checkLooping("allowCombinations()", false);
    return this.withLast({ inner: "nonDeterministicRelaxed" });
  }

  /** Stops the last stage's loop (`oneOrMore`/`timesOrMore`) at an event meeting `condition`; that event is not taken. */
  until(condition: Condition<E>): Pattern<E> {
    this.checkLooping("until(...)", true);
    return this.withLast({ until: condition });
  }

  /** A match must end less than `duration` ms after its first event; partial matches older than that time out. */
  within(duration: Duration): Pattern<E> {
    if (!(Number.isFinite(duration) && duration > 0)) {
      throw new ConstructionError(`Pattern "${this.stages[0]!.name}": within(${duration}) needs a positive number of milliseconds.`);
    }
    return new Pattern(this.stages, duration);
  }

  private get last(): Stage<E> {
    return this.stages[this.stages.length - 1]!;
  }

  private add(name: string, kind: StageKind, contiguity: Contiguity): Pattern<E> {
    if (this.stages.some((s) => s.name === name)) {
      throw new ConstructionError(`Pattern: the stage name "${name}" is used twice; give every stage a unique name.`);
    }
    if (kind !== "take" && this.last.optional) {
      throw new ConstructionError(
        `Pattern stage "${name}": a ${kind}() stage cannot follow the optional stage "${this.last.name}" (as in Flink CEP); make "${this.last.name}" mandatory.`,
      );
    }
    return new Pattern([...this.stages, newStage<E>(name, kind, contiguity)], this.windowTime);
  }

  private withLast(changes: Partial<Stage<E>>): Pattern<E> {
    return new Pattern([...this.stages.slice(0, -1), { ...this.last, ...changes }], this.windowTime);
  }

  private quantify(quantifier: Stage<E>["quantifier"], min: number, max: number): Pattern<E> {
    this.checkTakes(`${quantifier}()`);
    if (this.last.quantifier !== "single") {
      throw new ConstructionError(`Pattern stage "${this.last.name}": a quantifier (${this.last.quantifier}) is already applied; use one of oneOrMore, timesOrMore, times.`);
    }
    const optional = this.last.optional;
    return this.withLast({ quantifier, min: optional ? 0 : min, max });
  }

  private checkTakes(what: string): void {
    if (this.last.kind !== "take") {
      throw new ConstructionError(`Pattern stage "${this.last.name}": ${what} does not apply to a ${this.last.kind}() stage; negations take no quantifier.`);
    }
  }

  private checkLooping(what: string, loopsOnly: boolean): void {
    const q = this.last.quantifier;
    const ok = loopsOnly ? q === "oneOrMore" || q === "timesOrMore" : q !== "single";
    if (!ok) {
      throw new ConstructionError(
        `Pattern stage "${this.last.name}": ${what} applies to ${loopsOnly ? "oneOrMore()/timesOrMore()" : "oneOrMore()/timesOrMore()/times()"}; apply the quantifier first.`,
      );
    }
  }
}

function newStage<E>(name: string, kind: StageKind, contiguity: Contiguity): Stage<E> {
  if (typeof name !== "string" || name === "") throw new ConstructionError(`Pattern: a stage needs a non-empty name; got ${String(name)}.`);
  return {
    name,
    kind,
    condition: always as Condition<E>,
    contiguity,
    min: 1,
    max: 1,
    inner: "relaxed",
    greedy: false,
    until: undefined,
    quantifier: "single",
    optional: false,
  };
}

function checkCount(name: string, method: string, n: number, least: number): void {
  if (!(Number.isInteger(n) && n >= least)) {
    throw new ConstructionError(`Pattern stage "${name}": ${method}(${n}) needs an integer of at least ${least}.`);
  }
}

/**
 * Starts a pattern with its first stage (Flink's `Pattern.begin`). Every event may start a
 * match; add conditions with `where` and more stages with `next`/`followedBy`/...
 *
 * @example
 * const twoLogins = begin<Login>("first").where((e) => !e.ok).next("second").where((e) => !e.ok);
 */
export function begin<E>(name: string): Pattern<E> {
  return Pattern.start<E>(name);
}

/**
 * Checks what can only be checked on the whole pattern (Flink's NFACompiler checks): no
 * negation first, `notFollowedBy` not last, greedy not on the last stage.
 *
 * @example
 * validatePattern(begin<number>("a").notFollowedBy("b"), "Detect"); // throws a ConstructionError
 */
export function validatePattern<E>(pattern: Pattern<E>, where: string): void {
  const stages = pattern.stages;
  const first = stages[0]!;
  const last = stages[stages.length - 1]!;
  if (first.kind !== "take") throw new ConstructionError(`${where}: a pattern cannot begin with a negation ("${first.name}").`);
  if (last.kind === "notFollowedBy") {
    throw new ConstructionError(
      `${where}: the pattern ends with notFollowedBy("${last.name}"), which could never complete; end it with a stage that takes events.`,
    );
  }
  if (last.greedy) throw new ConstructionError(`${where}: greedy() is not supported on the last stage ("${last.name}"), as in Flink CEP.`);
}
