import type { BoundedWindow, PaneInfo } from "../model/index.js";
import { AssertionFailedError, GLOBAL_WINDOW, globalWindows } from "../model/index.js";
import { PTransform, type PCollection, type Pipeline } from "../pipeline/index.js";
import { asIterable, impulse, map, parDo, windowInto } from "../transforms/index.js";
import { containsInAnyOrder, equalsSingleton, isEmpty, satisfies, type Matcher } from "./matchers.js";

/** An element with the window and pane it was in, as the checker sees it. */
interface Reified<T> {
  readonly value: T;
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
}

/** Which elements a check looks at. */
type Scope = { readonly kind: "all" } | { readonly kind: "window"; readonly window: BoundedWindow };

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

  /** Restricts the following check to the elements of one window. */
  inWindow(window: BoundedWindow): PAssert<T> {
    return new PAssert(this.pcollection, this.name, { kind: "window", window });
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
    const reified = input
      .apply("Reify", map((value: T, ctx): Reified<T> => ({ value, window: ctx.window, pane: ctx.pane })))
      .apply("IntoGlobalWindow", windowInto(globalWindows()));
    const view = asIterable(reified);
    // Like Beam's PAssert, the check runs once from an Impulse with the contents as a
    // side input, so an empty PCollection is checked too.
    input.pipeline.apply("Check", impulse()).apply(
      "Verify",
      parDo<Uint8Array, never>(
        {
          process(_impulse, ctx) {
            const all = [...ctx.sideInput(view)];
            const selected =
              scope.kind === "all" ? all : all.filter((r) => r.window.id() === scope.window.id());
            const failure = matcher(selected.map((r) => r.value));
            if (failure !== undefined) {
              const where = scope.kind === "window" ? ` in window ${scope.window.toString()}` : "";
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
