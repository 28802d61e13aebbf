import type { BoundedWindow, PaneInfo } from "../model/index.js";
import type { KV } from "../model/index.js";
import { AssertionFailedError, GLOBAL_WINDOW, Triggers, globalWindows, kv } from "../model/index.js";
import { PTransform, type PCollection, type Pipeline } from "../pipeline/index.js";
import { asIterable, groupByKey, impulse, map, parDo, windowInto } from "../transforms/index.js";
import { containsInAnyOrder, equalsSingleton, isEmpty, satisfies, type Matcher } from "./matchers.js";

/**
 * An element with the window (its id) and pane it was in, as the checker sees it: plain
 * data, so it crosses runner boundaries with the JS value coder.
 */
interface Reified<T> {
  readonly value: T;
  readonly window: string;
  readonly pane: PaneInfo;
}

/** Which panes of a window a check looks at (Beam's PaneExtractors). */
type PaneSelector = "all" | "onTime" | "final" | "early" | "late" | "nonLate";

/** Which elements a check looks at. */
type Scope =
  | { readonly kind: "all" }
  | { readonly kind: "window"; readonly window: BoundedWindow; readonly panes: PaneSelector };

const PANE_FILTERS: Record<PaneSelector, (p: PaneInfo) => boolean> = {
  all: () => true,
  onTime: (p) => p.timing === "ON_TIME",
  final: (p) => p.isLast,
  early: (p) => p.timing === "EARLY",
  late: (p) => p.timing === "LATE",
  nonLate: (p) => p.timing !== "LATE",
};

const PANE_NAMES: Record<PaneSelector, string> = {
  all: "",
  onTime: " (on-time pane)",
  final: " (final pane)",
  early: " (early panes)",
  late: " (late panes)",
  nonLate: " (non-late panes)",
};

const counters = new WeakMap<Pipeline, number>();

/**
 * Checks on the contents of a PCollection, evaluated inside the pipeline like Beam's
 * PAssert: a failing check fails `run()` with a readable expected/actual diff.
 *
 * @example
 * assertThat(counts).containsInAnyOrder([kv("a", 2), kv("b", 1)]);
 * assertThat(totals).inWindow(new IntervalWindow(0, 60_000)).equals(42);
 * await p.run().waitUntilFinish();
 */
export class PAssert<T> {
  /** @internal use assertThat */
  constructor(
    private readonly pcollection: PCollection<T>,
    private readonly name: string | undefined,
    private readonly scope: Scope,
  ) {}

  /** Restricts the following check to the elements of one window (all its panes). */
  inWindow(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "all");
  }

  /** Only the ON_TIME pane of `window` (Beam's inOnTimePane). */
  inOnTimePane(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "onTime");
  }

  /** Only the last pane of `window`, the one with isLast (Beam's inFinalPane). */
  inFinalPane(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "final");
  }

  /** All EARLY panes of `window` together (Beam's inEarlyPane). */
  inEarlyPane(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "early");
  }

  /** All LATE panes of `window` together (Beam's inLatePane). */
  inLatePane(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "late");
  }

  /** EARLY and ON_TIME panes of `window` together (Beam's inCombinedNonLatePanes). */
  inCombinedNonLatePanes(window: BoundedWindow): PAssert<T> {
    return this.inPanes(window, "nonLate");
  }

  private inPanes(window: BoundedWindow, panes: PaneSelector): PAssert<T> {
    return new PAssert(this.pcollection, this.name, { kind: "window", window, panes });
  }

  /** Restricts the following check to the global window. */
  inGlobalWindow(): PAssert<T> {
    return this.inWindow(GLOBAL_WINDOW);
  }

  /** Exactly these elements, in any order (deep equality, with multiplicity). */
  containsInAnyOrder(expected: Iterable<T>): void {
    this.check("containsInAnyOrder", containsInAnyOrder([...expected]));
  }

  /** Exactly one element, deep-equal to `expected`. */
  equals(expected: T): void {
    this.check("equals", equalsSingleton(expected));
  }

  /** No elements. */
  isEmpty(): void {
    this.check("isEmpty", isEmpty<T>());
  }

  /** A custom check over all elements (of the window): throw or return false to fail. */
  satisfies(check: (actual: readonly T[]) => boolean | void): void {
    this.check("satisfies", satisfies(check));
  }

  private check(what: string, matcher: Matcher<T>): void {
    const pc = this.pcollection;
    const p = pc.pipeline;
    const n = (counters.get(p) ?? 0) + 1;
    counters.set(p, n);
    const name = this.name === undefined ? `AssertThat${n}` : `AssertThat(${this.name})`;
    const scope = this.scope;
    p.applyTransform(pc, name, new AssertTransform<T>(name, what, scope, matcher));
  }
}

class AssertTransform<T> extends PTransform<PCollection<T>, void> {
  constructor(
    readonly label: string,
    private readonly what: string,
    private readonly scope: Scope,
    private readonly matcher: Matcher<T>,
  ) {
    super(label);
  }

  expand(input: PCollection<T>): void {
    const { what, scope, matcher } = this;
    const label = input.pipeline.currentLabel();
    // Like Beam's PAssert: reify window and pane, gather everything into one group in the
    // global window with a Never trigger (it fires once, when the input is complete — also
    // for unbounded input), and check it from an Impulse that reads the group as a side
    // input, so an empty PCollection is checked too.
    const reified = input
      .apply("Reify", map((value: T, ctx): KV<null, Reified<T>> => kv(null, { value, window: ctx.window.id(), pane: { ...ctx.pane } })))
      .apply(
        "IntoGlobalWindow",
        windowInto(globalWindows(), { trigger: Triggers.never(), accumulationMode: "DISCARDING", allowedLateness: 0 }),
      )
      .apply("GroupGlobally", groupByKey<null, Reified<T>>())
      .apply("Values", map((g: KV<null, Iterable<Reified<T>>>) => g.value));
    const view = asIterable(reified);
    input.pipeline.apply("Check", impulse()).apply(
      "Verify",
      parDo<Uint8Array, never>(
        {
          process(_impulse, ctx) {
            const all = [...ctx.sideInput(view)].flatMap((group) => [...group]);
            const selected =
              scope.kind === "all"
                ? all
                : all.filter((r) => r.window === scope.window.id() && PANE_FILTERS[scope.panes](r.pane));
            const failure = matcher(selected.map((r) => r.value));
            if (failure !== undefined) {
              const where = scope.kind === "window" ? ` in window ${scope.window.toString()}${PANE_NAMES[scope.panes]}` : "";
              throw new AssertionFailedError(`${label}: ${what}${where} failed: ${failure}`);
            }
          },
        },
        { sideInputs: [view as never] },
      ),
    );
  }
}

/**
 * Starts a check on `pcollection`; `name` labels the check in the graph and in failures.
 *
 * @example assertThat(words, "WordsAreLowerCase").satisfies((ws) => ws.every((w) => w === w.toLowerCase()));
 */
export function assertThat<T>(pcollection: PCollection<T>, name?: string): PAssert<T> {
  return new PAssert(pcollection, name, { kind: "all" });
}
