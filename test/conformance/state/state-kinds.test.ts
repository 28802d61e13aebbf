import { describe, expect, it } from "vitest";
import {
  Pipeline,
  StateSpecs,
  assertThat,
  create,
  fixedWindows,
  kv,
  map,
  reifyPanes,
  statefulParDo,
  testStream,
  windowInto,
  type CombineFn,
  type KV,
} from "../../../src/index.js";
import { runOn } from "../runners.js";
import { sortedJoin, STATE_RUNNERS, itOn } from "./helpers.js";

/** A mean that mutates its accumulator in addInput, as CombineFns may. */
const countAndSum: CombineFn<number, { n: number; sum: number }, string> = {
  createAccumulator: () => ({ n: 0, sum: 0 }),
  addInput(acc, x) {
    acc.n += 1;
    acc.sum += x;
    return acc;
  },
  mergeAccumulators(accs) {
    const out = { n: 0, sum: 0 };
    for (const a of accs) {
      out.n += a.n;
      out.sum += a.sum;
    }
    return out;
  },
  extractOutput: (acc) => `n=${acc.n} sum=${acc.sum}`,
};

const arg = (cmd: string) => Number(cmd.slice(1));

// Scripts whose order matters give their elements increasing timestamps (@1, @2, ... ms):
// Beam orders a key's elements by nothing but their timestamps, and Prism processes them
// in timestamp order (equal timestamps in any order); the embedded runner keeps arrival order.

for (const runner of STATE_RUNNERS) {
  describe(`state kinds on ${runner.name}`, () => {
    it("value state reads undefined until written, keeps the last write, and reads undefined again after clear", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:r1@1 a:w5@2 a:r2@3 a:w7@4 a:r3@5 a:c@6 a:r4@7 b:r5@8", { kv: true })).apply(
          statefulParDo({
            state: { v: StateSpecs.value<number>() },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              if (cmd.startsWith("r")) ctx.output(`${e.key}.${cmd}=${String(ctx.state.v.read())}`);
              else if (cmd.startsWith("w")) ctx.state.v.write(arg(cmd));
              else ctx.state.v.clear();
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["a.r1=undefined", "a.r2=5", "a.r3=7", "a.r4=undefined", "b.r5=undefined"]);
      });
    });

    it("bag state keeps every added value (duplicates included), reports isEmpty, and clear empties it", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:e1@1 a:a3@2 a:a1@3 a:a2@4 a:a2@5 | a:e2@6 a:r1@7 a:c@8 a:e3@9 a:r2@10", { kv: true })).apply(
          statefulParDo({
            state: { bag: StateSpecs.bag<number>() },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              if (cmd.startsWith("a")) ctx.state.bag.add(arg(cmd));
              else if (cmd.startsWith("e")) ctx.output(`${cmd}=${ctx.state.bag.isEmpty()}`);
              else if (cmd.startsWith("r")) ctx.output(`${cmd}=[${sortedJoin(ctx.state.bag.read())}]`);
              else ctx.state.bag.clear();
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["e1=true", "e2=false", "r1=[1,2,2,3]", "e3=true", "r2=[]"]);
      });
    });

    it("combining state folds inputs through a custom CombineFn; empty, it reads the output of a fresh accumulator", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:e1@1 a:r1@2 a:a3@3 | a:a5@4 a:e2@5 a:r2@6 | a:c@7 a:e3@8 a:r3@9 b:a10@10 b:r4@11", { kv: true })).apply(
          statefulParDo({
            state: { acc: StateSpecs.combining(countAndSum) },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              if (cmd.startsWith("a")) ctx.state.acc.add(arg(cmd));
              else if (cmd.startsWith("e")) ctx.output(`${e.key}.${cmd}=${ctx.state.acc.isEmpty()}`);
              else if (cmd.startsWith("r")) ctx.output(`${e.key}.${cmd}=${ctx.state.acc.read()}`);
              else ctx.state.acc.clear();
            },
          }),
        );
        assertThat(out).containsInAnyOrder([
          "a.e1=true",
          "a.r1=n=0 sum=0",
          "a.e2=false",
          "a.r2=n=2 sum=8",
          "a.e3=true",
          "a.r3=n=0 sum=0",
          "b.r4=n=1 sum=10",
        ]);
      });
    });

    // Flink serves only bag user state: refused before submission (UnsupportedFeatureError).
    itOn(runner, [], ["flink"])("map state: put and get, putIfAbsent keeps a present value, remove, keys/values/entries, isEmpty and clear", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:p1@1 | a:p2@2 | a:r1@3 a:d@4 a:r2@5 | a:c@6 a:r3@7", { kv: true })).apply(
          statefulParDo({
            state: { m: StateSpecs.map<string, number>() },
            process(e: KV<string, string>, ctx) {
              const m = ctx.state.m;
              const entries = () =>
                [...m.entries()]
                  .map(([k, v]) => `${k}=${v}`)
                  .sort()
                  .join(",");
              switch (e.value) {
                case "p1":
                  ctx.output(`empty-before=${m.isEmpty()}`);
                  m.put("x", 1);
                  // Present: the value already there is returned and kept.
                  ctx.output(`putIfAbsent(x)=${m.putIfAbsent("x", 9)}`);
                  // Absent: put, and (as this SDK documents) the value now in the map is returned.
                  ctx.output(`putIfAbsent(y)=${m.putIfAbsent("y", 2)}`);
                  break;
                case "p2":
                  m.put("z", 3);
                  m.put("x", 1);
                  ctx.output(`get(x)=${m.get("x")} get(q)=${String(m.get("q"))}`);
                  break;
                case "r1":
                  ctx.output(`r1 entries=${entries()} keys=${[...m.keys()].sort().join(",")} values=${sortedJoin(m.values())} empty=${m.isEmpty()}`);
                  break;
                case "d":
                  m.remove("y");
                  m.remove("not-there");
                  break;
                case "r2":
                  ctx.output(`r2 entries=${entries()} get(y)=${String(m.get("y"))}`);
                  break;
                case "c":
                  m.clear();
                  break;
                default:
                  ctx.output(`r3 entries=${entries()} empty=${m.isEmpty()}`);
              }
            },
          }),
        );
        assertThat(out).containsInAnyOrder([
          "empty-before=true",
          "putIfAbsent(x)=1",
          "putIfAbsent(y)=2",
          "get(x)=1 get(q)=undefined",
          "r1 entries=x=1,y=2,z=3 keys=x,y,z values=1,2,3 empty=false",
          "r2 entries=x=1,z=3 get(y)=undefined",
          "r3 entries= empty=true",
        ]);
      });
    });

    // Flink serves only bag user state: refused before submission (UnsupportedFeatureError).
    itOn(runner, [], ["flink"])("set state: add returns true only for a value not yet there; has, remove, read, isEmpty and clear", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:s1@1 a:s2@2 a:s1@3 | a:h1@4 a:h3@5 a:x1@6 a:h1@7 a:s1@8 a:r@9 | a:c@10 a:e@11", { kv: true })).apply(
          statefulParDo({
            state: { s: StateSpecs.set<number>() },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              const s = ctx.state.s;
              if (cmd.startsWith("s")) ctx.output(`add(${arg(cmd)})=${s.add(arg(cmd))}`);
              else if (cmd.startsWith("h")) ctx.output(`has(${arg(cmd)})=${s.has(arg(cmd))}`);
              else if (cmd.startsWith("x")) s.remove(arg(cmd));
              else if (cmd === "r") ctx.output(`read=${sortedJoin(s.read())} empty=${s.isEmpty()}`);
              else if (cmd === "c") s.clear();
              else ctx.output(`read=${sortedJoin(s.read())} empty=${s.isEmpty()}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder([
          "add(1)=true",
          "add(2)=true",
          "add(1)=false",
          "has(1)=true",
          "has(3)=false",
          "has(1)=false",
          // Added again after its removal: new once more.
          "add(1)=true",
          "read=1,2 empty=false",
          "read= empty=true",
        ]);
      });
    });

    // Flink serves only bag user state: refused before submission (UnsupportedFeatureError).
    itOn(runner, [], ["flink"])("ordered list state reads its values sorted by sort key, whatever the order they were added in", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:a30@1 a:a10@2 | a:a40@3 a:a20@4 | a:r@5", { kv: true })).apply(
          statefulParDo({
            state: { list: StateSpecs.orderedList<string>() },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              if (cmd.startsWith("a")) ctx.state.list.add(`v${arg(cmd)}`, arg(cmd) * 1000);
              else ctx.output(ctx.state.list.read().map((tv) => `${tv.value}@${tv.timestamp}`));
            },
          }),
        );
        assertThat(out).containsInAnyOrder([["v10@10000", "v20@20000", "v30@30000", "v40@40000"]]);
      });
    });

    // Flink serves only bag user state: refused before submission (UnsupportedFeatureError).
    itOn(runner, [], ["flink"])("ordered list readRange and clearRange cover the half-open range [from, to)", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, string>>("a:a40@1 a:a10@2 a:a30@3 a:a20@4 | a:q@5", { kv: true })).apply(
          statefulParDo({
            state: { list: StateSpecs.orderedList<string>() },
            process(e: KV<string, string>, ctx) {
              const cmd = e.value;
              const list = ctx.state.list;
              if (cmd.startsWith("a")) {
                list.add(`v${arg(cmd)}`, arg(cmd) * 1000);
                return;
              }
              const show = (xs: readonly { value: string }[]) => xs.map((x) => x.value).join(",");
              ctx.output(`range[20s,40s)=${show(list.readRange(20_000, 40_000))}`);
              ctx.output(`range[15s,20s)=${show(list.readRange(15_000, 20_000))}`);
              ctx.output(`range[20s,20.001s)=${show(list.readRange(20_000, 20_001))}`);
              list.clearRange(10_000, 30_000);
              ctx.output(`after clearRange[10s,30s)=${show(list.read())} empty=${list.isEmpty()}`);
              list.clear();
              ctx.output(`after clear=${show(list.read())} empty=${list.isEmpty()}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder([
          "range[20s,40s)=v20,v30",
          "range[15s,20s)=",
          "range[20s,20.001s)=v20",
          "after clearRange[10s,30s)=v30,v40 empty=false",
          "after clear= empty=true",
        ]);
      });
    });

    it("state is scoped per key and persists across bundles and watermark advances", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, number>>("a:1@1s b:1@1s | wm 5s | a:1@6s | wm 10s | a:1@11s b:1@12s", { kv: true })).apply(
          statefulParDo({
            state: { count: StateSpecs.value<number>() },
            process(e: KV<string, number>, ctx) {
              const n = (ctx.state.count.read() ?? 0) + e.value;
              ctx.state.count.write(n);
              ctx.output(`${ctx.key}=${n}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["a=1", "b=1", "a=2", "a=3", "b=2"]);
      });
    });

    it("state is scoped per window: the same key in two windows has separate state", async () => {
      await runOn(runner, (p) => {
        const out = p
          .apply(testStream<KV<string, number>>("a:1@1s a:1@2s a:1@11s a:1@3s b:1@4s", { kv: true }))
          .apply(windowInto(fixedWindows(10_000)))
          .apply(
            statefulParDo({
              state: { count: StateSpecs.value<number>() },
              process(e: KV<string, number>, ctx) {
                const n = (ctx.state.count.read() ?? 0) + e.value;
                ctx.state.count.write(n);
                ctx.output(kv(ctx.key, n));
              },
            }),
          )
          .apply(reifyPanes())
          // Runners need not keep a key's arrival order (Flink does not), so which element
          // saw which count may vary; the counts per window may not.
          .apply(map((r) => ({ value: r.value, window: r.window })));
        assertThat(out).containsInAnyOrder([
          { value: kv("a", 1), window: "0..10000" },
          { value: kv("a", 2), window: "0..10000" },
          { value: kv("a", 3), window: "0..10000" },
          { value: kv("a", 1), window: "10000..20000" },
          { value: kv("b", 1), window: "0..10000" },
        ]);
      });
    });

    // Flink serves only bag user state: refused before submission (UnsupportedFeatureError).
    itOn(runner, [], ["flink"])("readLater returns the same accessor for every state kind, so reads can be chained", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(create([kv("a", 1), kv("a", 2)])).apply(
          statefulParDo({
            state: {
              v: StateSpecs.value<number>(),
              bag: StateSpecs.bag<number>(),
              acc: StateSpecs.combining(countAndSum),
              m: StateSpecs.map<string, number>(),
              s: StateSpecs.set<number>(),
              list: StateSpecs.orderedList<number>(),
            },
            process(e: KV<string, number>, ctx) {
              const st = ctx.state;
              const same = [
                st.v.readLater() === st.v,
                st.bag.readLater() === st.bag,
                st.acc.readLater() === st.acc,
                st.m.readLater() === st.m,
                st.s.readLater() === st.s,
                st.list.readLater() === st.list,
              ];
              st.bag.readLater().add(e.value);
              ctx.output(`same=${same.every(Boolean)} size=${st.bag.readLater().read().length}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["same=true size=1", "same=true size=2"]);
      });
    });

    it("several state cells of one DoFn are independent of each other", async () => {
      await runOn(runner, (p) => {
        const out = p.apply(testStream<KV<string, number>>("a:1@1 a:2@2 | a:3@3", { kv: true })).apply(
          statefulParDo({
            state: { first: StateSpecs.value<number>(), last: StateSpecs.value<number>(), all: StateSpecs.bag<number>() },
            process(e: KV<string, number>, ctx) {
              if (ctx.state.first.read() === undefined) ctx.state.first.write(e.value);
              ctx.state.last.write(e.value);
              ctx.state.all.add(e.value);
              ctx.output(`first=${ctx.state.first.read()} last=${ctx.state.last.read()} all=${sortedJoin(ctx.state.all.read())}`);
            },
          }),
        );
        assertThat(out).containsInAnyOrder(["first=1 last=1 all=1", "first=1 last=2 all=1,2", "first=1 last=3 all=1,2,3"]);
      });
    });
  });
}

describe("statefulParDo typing", () => {
  it("accepts a KV PCollection and does not compile on a non-KV PCollection", () => {
    const p = new Pipeline();
    const fn = {
      state: { seen: StateSpecs.value<boolean>() },
      process(e: KV<string, number>, ctx: { output(v: string): void }) {
        ctx.output(e.key);
      },
    };
    const keyed = p.apply("Keyed", create([kv("a", 1)]));
    expect(keyed.apply(statefulParDo(fn))).toBeDefined();
    const numbers = p.apply("Numbers", create([1, 2, 3]));
    const wrong = () =>
      // @ts-expect-error statefulParDo needs a PCollection of KVs
      numbers.apply(statefulParDo(fn));
    expect(typeof wrong).toBe("function");
  });
});
