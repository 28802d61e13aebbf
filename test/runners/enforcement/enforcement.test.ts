import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  CoderError,
  IllegalMutationError,
  JobFailedError,
  Pipeline,
  asSingleton,
  create,
  groupByKey,
  kv,
  kvCoder,
  map,
  parDo,
  varIntCoder,
  type ByteReader,
  type ByteWriter,
  type Coder,
  type KV,
} from "../../../src/index.js";
import { EmbeddedRunner, assertThat } from "../../../src/index.js";
import { ENV, buildUnencodable } from "./unencodable.js";

const MODULE = fileURLToPath(new URL("./unencodable-module.ts", import.meta.url));

afterEach(() => {
  delete process.env[ENV];
});

/** Runs `build` on the embedded runner; resolves with the error that failed the job (or undefined). */
async function outcome(build: (p: Pipeline) => void, options: Record<string, unknown> = {}): Promise<Error | undefined> {
  const p = new Pipeline({ maxBundleRetries: 0, ...options });
  build(p);
  try {
    await p.run().waitUntilFinish();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(JobFailedError);
    return (err as JobFailedError).cause as Error;
  }
}

type Counter = { n: number };

/** The finding's pipeline: one branch changes its input; a sibling groups the same objects. */
function mutateInputWithSibling(p: Pipeline, seen: Counter[][]): void {
  const counters = p.apply(create<Counter>([{ n: 1 }, { n: 2 }, { n: 3 }]));
  counters.apply(
    "Negate",
    map((c: Counter) => {
      c.n = -1;
      return c.n;
    }),
  );
  counters
    .apply("Key", map((c: Counter) => kv("all", c)))
    .apply(groupByKey())
    .apply(
      "Collect",
      map((g: KV<string, Iterable<Counter>>) => {
        seen.push([...g.value].map((c) => ({ ...c })));
        return 0;
      }),
    );
}

describe("--enforceImmutability (embedded runner)", () => {
  it("fails a DoFn that changes its input, naming the step and the element before and after", async () => {
    const err = await outcome((p) => mutateInputWithSibling(p, []));
    expect(err).toBeInstanceOf(IllegalMutationError);
    const e = err as IllegalMutationError;
    expect(e.code).toBe("ILLEGAL_MUTATION");
    expect(e.transform).toBe("Negate");
    expect(e.before).toBe('{"n":1}');
    expect(e.after).toBe('{"n":-1}');
    expect(e.message).toMatch(/Negate changed its input element.*copy before changing/s);
  });

  it("is a switch: with --enforceImmutability=false the change reaches the sibling's GroupByKey silently", async () => {
    const seen: Counter[][] = [];
    // Encodability copies at the GroupByKey, so switch both off to see the live objects.
    const err = await outcome((p) => mutateInputWithSibling(p, seen), { enforceImmutability: false, enforceEncodability: false });
    expect(err).toBeUndefined();
    expect(seen).toEqual([[{ n: -1 }, { n: -1 }, { n: -1 }]]);
  });

  it("fails a DoFn that changes a value after ctx.output (one object reused for every output)", async () => {
    const err = await outcome((p) => {
      p.apply(create([1, 2, 3]))
        .apply(
          "Reuse",
          parDo<number, KV<string, Counter>>({
            process(x, ctx) {
              const self = this as unknown as { out?: KV<string, Counter> };
              self.out ??= kv("all", { n: 0 });
              self.out.value.n = x;
              ctx.output(self.out);
            },
          }),
        )
        .apply(groupByKey());
    });
    expect(err).toBeInstanceOf(IllegalMutationError);
    expect((err as IllegalMutationError).transform).toBe("Reuse");
    expect(err!.message).toMatch(/A value output by Reuse changed after it was output/);
  });

  it("checks inputs changed later than the call: an async DoFn that changes its input after an await", async () => {
    const err = await outcome((p) => {
      p.apply("Counters", create<Counter>([{ n: 1 }, { n: 2 }])).apply(
        "LateNegate",
        map(async (c: Counter) => {
          await new Promise((resolve) => setImmediate(resolve));
          c.n = -1;
          return 0;
        }),
      );
    });
    expect(err).toBeInstanceOf(IllegalMutationError);
    expect(err!.message).toMatch(/LateNegate/);
  });

  it("checks the main input of a ParDo with side inputs, read from its pushed-back buffer", async () => {
    const err = await outcome((p) => {
      const limit = asSingleton(p.apply("Limit", create([10])));
      p.apply("Counters", create<Counter>([{ n: 1 }])).apply(
        "Clamp",
        map(
          (c: Counter, ctx) => {
            c.n = Math.min(c.n, ctx.sideInput(limit)) - 100;
            return c.n;
          },
          { sideInputs: [limit] },
        ),
      );
    });
    expect(err).toBeInstanceOf(IllegalMutationError);
    expect((err as IllegalMutationError).transform).toBe("Clamp");
  });

  it("checks every element of a PCollection up to 10,000, then one in 100", async () => {
    const mutateAt = (index: number) => (p: Pipeline) => {
      p.apply(create(Array.from({ length: 10_200 }, (_, i) => i)))
        .apply("Wrap", map((i: number) => ({ i })))
        .apply(
          "MaybeChange",
          map((o: { i: number }) => {
            if (o.i === index) o.i = -1;
            return 0;
          }),
        );
    };
    expect(await outcome(mutateAt(9_999))).toBeInstanceOf(IllegalMutationError);
    expect(await outcome(mutateAt(10_100))).toBeInstanceOf(IllegalMutationError);
    expect(await outcome(mutateAt(10_150))).toBeUndefined();
  });

  it("rejects a value that is not a boolean when options are checked", () => {
    expect(new EmbeddedRunner().checkOptions({ enforceImmutability: "sometimes", enforceEncodability: 1 })).toEqual([
      "--enforceImmutability must be true or false, got sometimes.",
      "--enforceEncodability must be true or false, got 1.",
    ]);
  });
});

/** A coder of `{ n }` that decodes to `{ n, decoded: true }`: shows which copy a step received. */
const markingCoder: Coder<{ n: number; decoded?: boolean }> = {
  urn: "beam-ts:test:marking",
  components: [],
  deterministic: true,
  encode: (v: { n: number }, w: ByteWriter) => varIntCoder.encode(v.n, w, true),
  decode: (r: ByteReader) => ({ n: varIntCoder.decode(r, true), decoded: true }),
  toString: () => "marking",
};

describe("--enforceEncodability (embedded runner)", () => {
  for (const kind of ["function", "cycle", "classInstance"]) {
    it(`fails a ${kind} value at a GroupByKey the same way on one thread and on two`, async () => {
      process.env[ENV] = kind;
      const one = await outcome((p) => buildUnencodable(p, kind));
      const two = await outcome((p) => buildUnencodable(p, kind), { parallelism: 2, pipelineModule: MODULE });
      for (const err of [one, two]) {
        expect(err).toBeInstanceOf(CoderError);
        expect(err!.message).toMatch(/^MakeValues output an element that its PCollection's coder \(.*\) cannot encode and decode/);
        expect(err!.message).toMatch(/withCoder/);
      }
      expect(two!.message).toBe(one!.message);
    }, 60_000);
  }

  it("hands the GroupByKey the decoded copy, as another thread would receive it", async () => {
    const seen: unknown[] = [];
    const err = await outcome((p) => {
      p.apply(create([1, 2]))
        .apply("Key", map((n: number) => kv(1, { n } as { n: number; decoded?: boolean })))
        .withCoder(kvCoder(varIntCoder, markingCoder))
        .apply(groupByKey())
        .apply(
          "Collect",
          map((g: KV<number, Iterable<{ n: number }>>) => {
            seen.push(...g.value);
            return 0;
          }),
        );
    });
    expect(err).toBeUndefined();
    expect(seen).toEqual(expect.arrayContaining([{ n: 1, decoded: true }, { n: 2, decoded: true }]));
  });

  it("checks every element of a small PCollection, then one in 100: a rare bad value past that passes on one thread", async () => {
    // The documented limit of the sampled default: past the first 10,000 elements (or 1 MiB)
    // only every 100th element is encoded on one thread, so element 10,050 goes through live.
    const build = (bad: number) => (p: Pipeline) =>
      void p
        .apply(create(Array.from({ length: 10_200 }, (_, i) => i)))
        .apply("MakeValues", map((i: number) => kv(`k${i % 16}`, i === bad ? { f: () => i } : { i })))
        .apply(groupByKey());
    expect(await outcome(build(9_999))).toBeInstanceOf(CoderError);
    expect(await outcome(build(10_100))).toBeInstanceOf(CoderError);
    expect(await outcome(build(10_050))).toBeUndefined();
  });

  it("is a switch: with --enforceEncodability=false a function passes a GroupByKey on one thread", async () => {
    const err = await outcome((p) => buildUnencodable(p, "function"), { enforceEncodability: false });
    expect(err).toBeUndefined();
  });
});

describe("the finding's pipelines with both checks on", () => {
  it("still groups plain data unchanged", async () => {
    const p = new Pipeline();
    const grouped = p
      .apply(create([kv("a", { n: 1 }), kv("a", { n: 2 }), kv("b", { n: 3 })]))
      .apply(groupByKey())
      .apply(map((g: KV<string, Iterable<Counter>>) => `${g.key}:${[...g.value].map((c) => c.n).sort().join(",")}`));
    assertThat(grouped).containsInAnyOrder(["a:1,2", "b:3"]);
    await p.run().waitUntilFinish();
  });
});
