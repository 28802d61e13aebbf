import type { BoundedWindow, WindowFn } from "../model/index.js";
import { PTransform, type PCollection } from "../pipeline/index.js";

/**
 * A WindowFn that keeps the windows elements already have (Beam's IdentityWindowFn). Used
 * inside expansions such as Reshuffle that must carry windows through a GroupByKey without
 * re-assigning or merging them.
 */
export function identityWindowFn(original: WindowFn<BoundedWindow>): WindowFn<BoundedWindow> {
  return {
    urn: "beam-ts:window_fn:identity:v1",
    isMerging: false,
    assignWindows: (ctx) => ctx.windows,
    getSideInputWindow: original.getSideInputWindow,
    windowCoder: original.windowCoder,
    toString: () => `Identity(${original.toString()})`,
  };
}

/** Re-windows a PCollection with the identity WindowFn of its current windowing. */
export function identityWindowing<T>(): PTransform<PCollection<T>, PCollection<T>> {
  return new (class extends PTransform<PCollection<T>, PCollection<T>> {
    expand(input: PCollection<T>): PCollection<T> {
      const windowing = { ...input.windowing, windowFn: identityWindowFn(input.windowing.windowFn) };
      const [out] = input.pipeline.addPrimitive({ kind: "assignWindows", windowing }, [input as PCollection<unknown>], [
        { tag: "main", coder: input.coder as never, windowing, isBounded: input.isBounded },
      ]);
      return out as PCollection<T>;
    }
  })("IdentityWindows");
}
