import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, assertThat, create, map, type BadRecord, type PCollection } from "../../src/index.js";
import {
  expandGlob,
  readJsonLines,
  readText,
  shardFileName,
  writeJsonLines,
  writeText,
} from "../../src/io/text/index.js";
import { splitLines } from "../../src/io/text/lines.js";
import { SDF_RUNNERS } from "../conformance/sdf/sdf-runners.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-text-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(build: (p: Pipeline) => void, options: Record<string, unknown> = {}): Promise<void> {
  const p = new Pipeline({ runner: "embedded", ...options });
  build(p);
  await p.run().waitUntilFinish();
}

/** Collects a PCollection's elements into `sink` (the embedded runner runs in-process). */
function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

async function put(rel: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function linesOf(files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const text = await readFile(f, "utf8");
    if (text.length > 0) out.push(...text.replace(/\n$/, "").split("\n"));
  }
  return out;
}

describe("glob expansion", () => {
  beforeEach(async () => {
    for (const f of ["a.txt", "b.txt", "c.csv", "ab.txt", "sub/d.txt", "sub/deep/e.txt", "sub/deep/f.csv"]) await put(f, "x");
  });

  it("matches * within one directory, sorted", async () => {
    expect(await expandGlob(`${dir}/*.txt`)).toEqual(["a.txt", "ab.txt", "b.txt"].map((f) => path.join(dir, f)));
  });

  it("matches ? and [abc]", async () => {
    expect(await expandGlob(`${dir}/?.txt`)).toEqual(["a.txt", "b.txt"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/[bc].*`)).toEqual(["b.txt", "c.csv"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/[!b].*`)).toEqual(["a.txt", "c.csv"].map((f) => path.join(dir, f)));
  });

  it("matches ** across directories, including none", async () => {
    expect(await expandGlob(`${dir}/**/*.txt`)).toEqual(
      ["a.txt", "ab.txt", "b.txt", "sub/d.txt", "sub/deep/e.txt"].map((f) => path.join(dir, f)),
    );
    expect(await expandGlob(`${dir}/sub/**`)).toEqual(["sub/d.txt", "sub/deep/e.txt", "sub/deep/f.csv"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/*/*.txt`)).toEqual([path.join(dir, "sub/d.txt")]);
  });

  it("matches a literal path, and nothing for a missing one or a directory", async () => {
    expect(await expandGlob(`${dir}/sub/d.txt`)).toEqual([path.join(dir, "sub/d.txt")]);
    expect(await expandGlob(`${dir}/missing.txt`)).toEqual([]);
    expect(await expandGlob(`${dir}/sub`)).toEqual([]);
    expect(await expandGlob(`${dir}/nope/*.txt`)).toEqual([]);
  });

  it("matches {a,b} alternatives, within a segment and across segments", async () => {
    expect(await expandGlob(`${dir}/{a,b}.txt`)).toEqual(["a.txt", "b.txt"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/*.{txt,csv}`)).toEqual(["a.txt", "ab.txt", "b.txt", "c.csv"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/{a,sub/d}.txt`)).toEqual(["a.txt", "sub/d.txt"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/{sub,nope}/**/*.csv`)).toEqual([path.join(dir, "sub/deep/f.csv")]);
  });

  it("matches ranges and dot files, and takes \\ escapes and other characters literally", async () => {
    for (const f of [".hidden.txt", "a.b+(c)xyz", "{x}.txt", "(1)/g.txt", "!bang.txt"]) await put(f, "x");
    expect(await expandGlob(`${dir}/[a-b].txt`)).toEqual(["a.txt", "b.txt"].map((f) => path.join(dir, f)));
    expect(await expandGlob(`${dir}/*.txt`)).toContain(path.join(dir, ".hidden.txt"));
    expect(await expandGlob(`${dir}/a.b+(c)*`)).toEqual([path.join(dir, "a.b+(c)xyz")]);
    expect(await expandGlob(`${dir}/a.?`)).toEqual([]);
    expect(await expandGlob(`${dir}/\\{x\\}.*`)).toEqual([path.join(dir, "{x}.txt")]);
    expect(await expandGlob(`${dir}/*/g.txt`)).toEqual([path.join(dir, "(1)/g.txt")]);
    expect(await expandGlob(`${dir}/!bang*`)).toEqual([path.join(dir, "!bang.txt")]);
  });

  it("matches {p,q} as the union of what p and q match (property)", async () => {
    const names = ["a", "b", "ab", "ba", "a.csv", "b.txt", "ab.txt", "x.csv"];
    const part = fc
      .array(fc.constantFrom("a", "b", ".txt", ".csv", "*", "?", "[ab]", "[!a]"), { minLength: 1, maxLength: 4 })
      .map((tokens) => tokens.join(""));
    await fc.assert(
      fc.asyncProperty(fc.subarray(names, { minLength: 1 }), part, part, async (files, p, q) => {
        const folder = await mkdtemp(path.join(dir, "prop-"));
        for (const f of files) await writeFile(path.join(folder, f), "x");
        const union = [...new Set([...(await expandGlob(`${folder}/${p}`)), ...(await expandGlob(`${folder}/${q}`))])].sort();
        expect(await expandGlob(`${folder}/{${p},${q}}`)).toEqual(union);
        await rm(folder, { recursive: true });
      }),
      { numRuns: 60 },
    );
  });

  it("is expanded when the pipeline runs, not when it is built", async () => {
    const out: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(readText(`${dir}/late-*.txt`)), out);
    await put("late-1.txt", "hello\n");
    await p.run().waitUntilFinish();
    expect(out).toEqual(["hello"]);
  });

  it("fails the job naming the pattern when nothing matches", async () => {
    const pattern = `${dir}/nothing-*.txt`;
    await expect(run((p) => void p.apply(readText(pattern)))).rejects.toThrow(pattern);
    await expect(run((p) => void p.apply(readText(pattern)))).rejects.toThrow(/emptyMatch/);
  });

  it("reads the files a {a,b} pattern names", async () => {
    await put("data/a.csv", "1\n2\n");
    await put("data/b.csv", "3\n");
    await put("data/c.csv", "4\n");
    const out: string[] = [];
    await run((p) => collect(p.apply(readText(`${dir}/data/{a,b}.csv`)), out));
    expect(out.sort()).toEqual(["1", "2", "3"]);
  });

  it("reads nothing when emptyMatch is allow", async () => {
    await run((p) => assertThat(p.apply(readText(`${dir}/nothing-*.txt`, { emptyMatch: "allow" }))).isEmpty());
  });
});

describe("readText", () => {
  it("splits on LF, CRLF and CR, drops a BOM and keeps a last unterminated line", async () => {
    await put("lf.txt", "a\nb\n");
    await put("crlf.txt", "c\r\nd\r\n");
    await put("cr.txt", "e\rf");
    await put("bom.txt", "\uFEFFg\n\nh");
    await put("empty.txt", "");
    await run((p) => assertThat(p.apply(readText(`${dir}/*.txt`))).containsInAnyOrder(["a", "b", "c", "d", "e", "f", "g", "", "h"]));
  });

  it("handles terminators and multi-byte characters split across chunks", async () => {
    async function* chunks(...parts: (string | Buffer)[]) {
      for (const c of parts) yield c;
    }
    const out: string[] = [];
    const euro = Buffer.from("€");
    const bom = Buffer.from("\uFEFF");
    for await (const l of splitLines(
      chunks(bom.subarray(0, 1), Buffer.concat([bom.subarray(1), Buffer.from("a\r")]), "\nb\r", "c", euro.subarray(0, 2), euro.subarray(2), "\r"),
    )) {
      out.push(l);
    }
    expect(out).toEqual(["a", "b", "c€"]);
  });

  it("reads large files line by line", async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    await put("big.txt", lines.join("\n") + "\n");
    const out: string[] = [];
    await run((p) => collect(p.apply(readText(`${dir}/big.txt`)), out));
    // The file is read as several byte ranges (and checkpointed), so lines come in no fixed order.
    expect(out.sort()).toEqual([...lines].sort());
  });

  it("gunzips .gz files with compression auto, and always with gzip", async () => {
    await put("z.txt.gz", gzipSync("one\ntwo\n"));
    await put("plain.txt", "three\n");
    await put("nosuffix", gzipSync("four\n"));
    await run((p) => assertThat(p.apply(readText(`${dir}/*.txt*`))).containsInAnyOrder(["one", "two", "three"]));
    await run((p) => assertThat(p.apply(readText(`${dir}/nosuffix`, { compression: "gzip" }))).containsInAnyOrder(["four"]));
  });

  it("fails naming the file when a .gz file is not gzip", async () => {
    const file = await put("fake.gz", "not gzip\n");
    await expect(run((p) => void p.apply(readText(file)))).rejects.toThrow(/fake\.gz.*compression: "none"/s);
  });

  it("skips the header lines of each file", async () => {
    await put("1.csv", "name,n\na,1\nb,2\n");
    await put("2.csv", "name,n\nc,3\n");
    await put("3.csv", "name,n\n");
    await run((p) => assertThat(p.apply(readText(`${dir}/*.csv`, { skipHeaderLines: 1 }))).containsInAnyOrder(["a,1", "b,2", "c,3"]));
  });

  it("rejects bad options when the pipeline is built", () => {
    expect(() => readText("")).toThrow(/non-empty file pattern/);
    expect(() => readText("x", { skipHeaderLines: -1 })).toThrow(/skipHeaderLines/);
    expect(() => writeText("out", { numShards: 0 })).toThrow(/numShards/);
  });
});

describe("writeText", () => {
  it("writes exactly numShards files that read back to the input", async () => {
    const input = Array.from({ length: 100 }, (_, i) => `line-${i}`);
    const prefix = path.join(dir, "out", "part");
    const names: string[] = [];
    await run((p) => collect(p.apply(create(input)).apply(writeText(prefix, { numShards: 3, suffix: ".txt" })), names));
    const expected = [0, 1, 2].map((i) => `${prefix}-0000${i}-of-00003.txt`);
    expect(names.sort()).toEqual(expected);
    expect((await readdir(path.join(dir, "out"))).sort()).toEqual(["_part.txt_SUCCESS", ...expected.map((f) => path.basename(f))]);
    expect((await linesOf(expected)).sort()).toEqual([...input].sort());
    await run((p) => assertThat(p.apply(readText(`${prefix}-*-of-00003.txt`))).containsInAnyOrder(input));
  });

  it("lets the runner choose the shards (one per bundle)", async () => {
    const input = Array.from({ length: 9 }, (_, i) => `v${i}`);
    const prefix = path.join(dir, "auto");
    const names: string[] = [];
    await run((p) => collect(p.apply(create(input)).apply(writeText(prefix)), names), { bundleSize: 2 });
    expect(await readdir(dir)).toContain("_auto_SUCCESS");
    const files = (await readdir(dir)).filter((f) => f !== "_auto_SUCCESS").sort();
    expect(files.length).toBeGreaterThan(1);
    expect(names.map((n) => path.basename(n)).sort()).toEqual(files);
    files.forEach((f, i) => expect(f).toBe(path.basename(shardFileName(prefix, i, files.length))));
    expect((await linesOf(files.map((f) => path.join(dir, f)))).sort()).toEqual(input.sort());
  });

  it("writes one empty shard for an empty input", async () => {
    const prefix = path.join(dir, "empty");
    await run((p) => void p.apply(create<string>([])).apply(writeText(prefix, { suffix: ".txt" })));
    expect((await readdir(dir)).sort()).toEqual(["_empty.txt_SUCCESS", "empty-00000-of-00001.txt"]);
    expect(await readFile(`${prefix}-00000-of-00001.txt`, "utf8")).toBe("");
  });

  it("writes empty files for shards no element went to", async () => {
    const prefix = path.join(dir, "few");
    await run((p) => void p.apply(create(["only"])).apply(writeText(prefix, { numShards: 3 })));
    expect((await readdir(dir)).sort()).toEqual(["_few_SUCCESS", "few-00000-of-00003", "few-00001-of-00003", "few-00002-of-00003"]);
    expect(await linesOf([0, 1, 2].map((i) => shardFileName(prefix, i, 3)))).toEqual(["only"]);
  });

  it("writes the header and footer in every shard", async () => {
    const prefix = path.join(dir, "hf");
    await run((p) => void p.apply(create(["a", "b", "c", "d"])).apply(writeText(prefix, { numShards: 2, header: "H", footer: "F" })));
    for (const i of [0, 1]) {
      const lines = (await readFile(shardFileName(prefix, i, 2), "utf8")).split("\n");
      expect(lines[0]).toBe("H");
      expect(lines.at(-2)).toBe("F");
      expect(lines.at(-1)).toBe("");
    }
  });

  it("gzips shards and reads them back", async () => {
    const prefix = path.join(dir, "z");
    await run((p) => void p.apply(create(["x", "y"])).apply(writeText(prefix, { numShards: 1, suffix: ".gz", compression: "gzip" })));
    expect(gunzipSync(await readFile(`${prefix}-00000-of-00001.gz`)).toString()).toMatch(/^(x\ny|y\nx)\n$/);
    await run((p) => assertThat(p.apply(readText(`${dir}/*.gz`))).containsInAnyOrder(["x", "y"]));
  });

  it("writes large outputs with backpressure, plain and gzipped", async () => {
    const input = Array.from({ length: 60_000 }, (_, i) => `${i}:${"y".repeat(i % 100)}`);
    for (const [name, compression, numShards] of [["big", "none", undefined], ["bigz", "gzip", 2]] as const) {
      const prefix = path.join(dir, name);
      await run((p) => void p.apply(create(input)).apply(writeText(prefix, { compression, numShards, suffix: compression === "gzip" ? ".gz" : "" })));
      const count: number[] = [];
      await run((p) =>
        collect(
          p.apply(readText(`${prefix}-*`)).apply(
            map((line: string) => Number(line.split(":")[0])),
          ),
          count,
        ),
      );
      expect(count.sort((a, b) => a - b)).toEqual(input.map((_, i) => i));
    }
  });

  it("leaves no temporary directory behind and creates parent directories", async () => {
    const prefix = path.join(dir, "a", "b", "c", "out");
    await run((p) => void p.apply(create(["1", "2", "3"])).apply(writeText(prefix)), { bundleSize: 1 });
    expect((await readdir(path.join(dir, "a", "b", "c"))).every((f) => f.startsWith("out-") || f === "_out_SUCCESS")).toBe(true);
    expect((await readdir(path.join(dir, "a", "b", "c"))).length).toBe(4);
  });

  it("writes no final file when the job fails", async () => {
    const prefix = path.join(dir, "failed");
    const input = Array.from({ length: 10 }, (_, i) => i);
    for (const numShards of [undefined, 2]) {
      await expect(
        run(
          (p) =>
            void p
              .apply(create(input))
              .apply(
                "MaybeThrow",
                map((i: number) => {
                  if (i === 7) throw new Error("boom");
                  return `n${i}`;
                }),
              )
              .apply(writeText(prefix, { numShards })),
          { bundleSize: 2, maxBundleRetries: 0 },
        ),
      ).rejects.toThrow(/boom/);
      const left = await readdir(dir);
      expect(left.filter((f) => f.startsWith("failed-"))).toEqual([]);
    }
  });

  it("fails clearly on non-string elements", async () => {
    await expect(
      run((p) => void p.apply(create([1, 2] as unknown as string[])).apply(writeText(path.join(dir, "n")))),
    ).rejects.toThrow(/writes strings.*map/s);
  });
});

for (const runner of SDF_RUNNERS) {
  describe(`text IO on ${runner.name}`, () => {
    it("round-trips lines through writeText and readText", async () => {
      const input = Array.from({ length: 25 }, (_, i) => `r${i}`);
      for (const numShards of [undefined, 4]) {
        const prefix = path.join(dir, `rt${numShards ?? ""}`, "part");
        const p = new Pipeline(runner.options);
        p.apply(create(input)).apply(writeText(prefix, { numShards }));
        await p.run().waitUntilFinish();
        const q = new Pipeline(runner.options);
        assertThat(q.apply(readText(`${prefix}-*`))).containsInAnyOrder(input);
        await q.run().waitUntilFinish();
        expect((await readdir(path.dirname(prefix))).some((f) => f.startsWith("."))).toBe(false);
      }
    });
  });
}

describe("retries", () => {
  it("writes every line exactly once when a bundle is retried", async () => {
    let failed = false;
    const input = Array.from({ length: 12 }, (_, i) => `e${i}`);
    const prefix = path.join(dir, "retry");
    await run(
      (p) =>
        void p
          .apply(create(input))
          .apply(
            "FailOnce",
            map((s: string) => {
              if (s === "e5" && !failed) {
                failed = true;
                throw new Error("transient");
              }
              return s;
            }),
          )
          .apply(writeText(prefix)),
      { bundleSize: 3 },
    );
    expect(failed).toBe(true);
    const files = (await readdir(dir)).filter((f) => f !== "_retry_SUCCESS").sort();
    expect(files.every((f) => f.startsWith("retry-"))).toBe(true);
    expect((await linesOf(files.map((f) => path.join(dir, f)))).sort()).toEqual([...input].sort());
  });
});

describe("JSON lines", () => {
  interface Rec {
    id: number;
    tags: string[];
    nested?: { ok: boolean };
  }
  const records: Rec[] = [
    { id: 1, tags: ["a"] },
    { id: 2, tags: [], nested: { ok: true } },
    { id: 3, tags: ["line\nbreak"] },
  ];

  it("round-trips through writeJsonLines and readJsonLines", async () => {
    const prefix = path.join(dir, "recs");
    await run((p) => void p.apply(create(records)).apply(writeJsonLines<Rec>(prefix, { numShards: 2, suffix: ".jsonl" })));
    await run((p) => assertThat(p.apply(readJsonLines<Rec>(`${dir}/recs-*.jsonl`))).containsInAnyOrder(records));
  });

  it("fails on a bad line naming the file and line number", async () => {
    const file = await put("bad.jsonl", '{"id":1}\n{"id": oops}\n');
    await expect(run((p) => void p.apply(readJsonLines(file)))).rejects.toThrow(/line 2 of ".*bad\.jsonl".*oops.*invalidJson: "deadLetter"/s);
  });

  it("routes bad lines to the failures output as BadRecords", async () => {
    const file = await put("mixed.jsonl", 'header\n{"id":1}\nnot json\n[1,2]\n');
    const bad: BadRecord[] = [];
    await run((p) => {
      const { output, failures } = p.apply(readJsonLines<unknown>(file, { invalidJson: "deadLetter", skipHeaderLines: 1 }));
      assertThat(output).containsInAnyOrder([{ id: 1 }, [1, 2]]);
      collect(failures, bad);
    });
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({
      step: "ReadJsonLines/ParseLines",
      element: { preview: '"not json"', coder: "beam:coder:string_utf8:v1" },
      error: { type: "SyntaxError", description: `parsing line 3 of "${file}" as JSON` },
      attempt: 1,
    });
    expect(Buffer.from(bad[0]!.element.encoded!).toString()).toBe("not json");
  });

  it("writes byte arrays as base64 in JSON lines (a BadRecord's encoded element)", async () => {
    const prefix = path.join(dir, "bytes");
    await run((p) => void p.apply(create([{ id: 1, raw: new Uint8Array([0, 255, 7]) }])).apply(writeJsonLines(prefix, { numShards: 1 })));
    const written = await readFile(shardFileName(prefix, 0, 1), "utf8");
    expect(written).toBe('{"id":1,"raw":"AP8H"}\n');
  });
});
