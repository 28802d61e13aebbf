// writeFiles (Beam's FileIO.write / writeDynamic): files per destination, per-destination
// sharding, naming, temp-then-rename finalization, windowed streaming writes, an s3://
// destination on moto (BEAM_TS_SERVERS=s3; skipped without it), and bad destinations.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { Pipeline, TestStream, create, fixedWindows, map, windowInto, type PCollection } from "../../src/index.js";
import { defaultNaming, readSuccessMarker, successMarkerFile, writeFiles, type FileNaming, type FileSink } from "../../src/io/files/index.js";
import { stringUtf8Coder } from "../../src/coders/index.js";
import type { Coder } from "../../src/model/index.js";
import { fileSystemFor } from "../../src/io/filesystems/index.js";
import { textSink } from "../../src/io/text/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-write-files-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MINUTE = 60_000;
const iso = (t: number) => new Date(t).toISOString();
const customerOf = (line: string) => line.split(",")[0]!;

/** Orders as "customer,id" lines. */
const ORDERS = ["acme,1", "acme,2", "acme,3", "beta,4", "beta,5", "acme,6", "corp,7"];

function collect<T>(pc: PCollection<T>, sink: T[]): void {
  pc.apply(
    "Collect",
    map((x: T) => {
      sink.push(x);
      return x;
    }),
  );
}

/** Every file under `root`, relative, sorted (the success markers and temporary directories included). */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

async function lines(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

describe("writeFiles of a bounded input", () => {
  it("writes each customer's orders to numShards files in the customer's folder, each folder finalized with its marker", async () => {
    const out = path.join(dir, "orders");
    const names: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(p.apply(create(ORDERS)).apply(writeFiles({ to: out, by: customerOf, sink: textSink(), prefix: "part", suffix: ".csv", numShards: 2 })), names);
    await p.run().waitUntilFinish();

    const expected = ["acme", "beta", "corp"].flatMap((c) => [
      `${c}/_part.csv_SUCCESS`,
      `${c}/part-00000-of-00002.csv`,
      `${c}/part-00001-of-00002.csv`,
    ]);
    expect(await tree(out)).toEqual(expected.sort()); // no temporary directory left
    expect(names.map((n) => path.relative(out, n)).sort()).toEqual(expected.filter((f) => !f.includes("SUCCESS")).sort());
    for (const customer of ["acme", "beta", "corp"]) {
      const shards = [0, 1].map((i) => path.join(out, customer, `part-0000${i}-of-00002.csv`));
      const written = [...(await lines(shards[0]!)), ...(await lines(shards[1]!))];
      expect(written.sort()).toEqual(ORDERS.filter((o) => customerOf(o) === customer).sort());
      // Round-robin: a customer's orders are spread evenly over its two shards.
      const sizes = await Promise.all(shards.map(async (s) => (await lines(s)).length));
      expect(Math.abs(sizes[0]! - sizes[1]!)).toBeLessThanOrEqual(1);
      expect(await readSuccessMarker(successMarkerFile(path.join(out, customer, "part"), ".csv"))).toEqual(shards);
    }
  });

  it("with numShards, writes every element of a bundle larger than the shuffle's batches exactly once", async () => {
    // Each shard's elements of a bundle travel to the GroupByKey in batches of about 1 MiB: 4 MiB of lines make several per shard.
    const big = Array.from({ length: 4096 }, (_, i) => `${String(i).padStart(6, "0")},${"x".repeat(1024)}`);
    const out = path.join(dir, "big");
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create(big)).apply(writeFiles({ to: out, sink: textSink(), prefix: "part", numShards: 2 }));
    await p.run().waitUntilFinish();
    const shards = await Promise.all([0, 1].map((i) => lines(path.join(out, `part-0000${i}-of-00002`))));
    expect([...shards[0]!, ...shards[1]!].sort()).toEqual(big);
    expect(Math.abs(shards[0]!.length - shards[1]!.length)).toBeLessThanOrEqual(1);
  });

  it("replaces a destination's previous shards on a rewrite and keeps other destinations' files", async () => {
    const out = path.join(dir, "orders");
    const write = async (orders: string[], numShards: number) => {
      const p = new Pipeline({ runner: "embedded" });
      p.apply(create(orders)).apply(writeFiles({ to: out, by: customerOf, sink: textSink(), suffix: ".txt", numShards }));
      await p.run().waitUntilFinish();
    };
    await write(ORDERS, 3);
    await write(["acme,9"], 1);
    expect((await tree(out)).filter((f) => f.startsWith("acme/"))).toEqual(["acme/_output.txt_SUCCESS", "acme/output-00000-of-00001.txt"]);
    expect(await lines(path.join(out, "acme", "output-00000-of-00001.txt"))).toEqual(["acme,9"]);
    expect((await tree(out)).filter((f) => f.startsWith("beta/"))).toHaveLength(4); // untouched: marker and 3 shards
  });

  it("names files with a custom naming, relative to `to`, and renames them into place without a marker", async () => {
    const out = path.join(dir, "custom");
    const naming = (customer: string): FileNaming => ({ shardIndex, numShards }) => `by-customer/${customer}.${shardIndex + 1}of${numShards}.txt`;
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create(ORDERS)).apply(writeFiles({ to: out, by: customerOf, naming, sink: textSink(), numShards: 1 }));
    await p.run().waitUntilFinish();
    expect(await tree(out)).toEqual(["by-customer/acme.1of1.txt", "by-customer/beta.1of1.txt", "by-customer/corp.1of1.txt"]);
    expect(await lines(path.join(out, "by-customer", "beta.1of1.txt"))).toEqual(["beta,4", "beta,5"]);
  });

  it("writes one file per destination per bundle without numShards, with a header from a per-destination sink", async () => {
    const out = path.join(dir, "bundles");
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create(ORDERS)).apply(writeFiles({ to: out, by: customerOf, sink: (customer: string) => textSink({ header: `# ${customer}` }) }));
    await p.run().waitUntilFinish();
    for (const customer of ["acme", "beta", "corp"]) {
      const files = (await tree(path.join(out, customer))).filter((f) => !f.includes("SUCCESS"));
      expect(files.length).toBeGreaterThan(0);
      const all = (await Promise.all(files.map((f) => lines(path.join(out, customer, f))))).flat();
      expect(all.filter((l) => l.startsWith("#"))).toEqual(files.map(() => `# ${customer}`));
      expect(all.filter((l) => !l.startsWith("#")).sort()).toEqual(ORDERS.filter((o) => customerOf(o) === customer).sort());
      files.forEach((f, i) => expect(f).toBe(`output-${String(i).padStart(5, "0")}-of-${String(files.length).padStart(5, "0")}`));
    }
  });

  it("writes into the destination's own folder names under a separate tempDirectory, leaving nothing there", async () => {
    const out = path.join(dir, "out");
    const temp = path.join(dir, "tmp");
    const p = new Pipeline({ runner: "embedded" });
    p.apply(create(["x,1"])).apply(writeFiles({ to: out, by: customerOf, sink: textSink(), numShards: 1, tempDirectory: temp }));
    await p.run().waitUntilFinish();
    expect(await tree(out)).toEqual(["x/_output_SUCCESS", "x/output-00000-of-00001"]);
    expect(await readdir(temp)).toEqual([]);
  });
});

describe("writeFiles of an unbounded input", () => {
  it("writes each window's pane per customer as its own files, named by window and shard", async () => {
    const out = path.join(dir, "stream");
    const stream = TestStream.create<string>()
      .addElements({ value: "acme,1", timestamp: 1_000 }, { value: "beta,2", timestamp: 2_000 }, { value: "acme,3", timestamp: 3_000 })
      .advanceWatermarkTo(MINUTE + 1)
      .addElements({ value: "acme,4", timestamp: MINUTE + 10 })
      .advanceWatermarkToInfinity();
    const names: string[] = [];
    const p = new Pipeline({ runner: "embedded" });
    collect(
      p
        .apply(stream)
        .apply(windowInto(fixedWindows(MINUTE)))
        .apply(writeFiles({ to: out, by: customerOf, sink: textSink(), suffix: ".txt", numShards: 1 })),
      names,
    );
    await p.run().waitUntilFinish();
    const w0 = `${iso(0)}-${iso(MINUTE)}`;
    const w1 = `${iso(MINUTE)}-${iso(2 * MINUTE)}`;
    const expected = [`acme/output-${w0}-00000-of-00001.txt`, `acme/output-${w1}-00000-of-00001.txt`, `beta/output-${w0}-00000-of-00001.txt`];
    expect(await tree(out)).toEqual(expected); // no marker, no temporary directory left
    expect(names.map((n) => path.relative(out, n)).sort()).toEqual(expected);
    expect((await lines(path.join(out, expected[0]!))).sort()).toEqual(["acme,1", "acme,3"]);
    expect(await lines(path.join(out, expected[1]!))).toEqual(["acme,4"]);
    expect(await lines(path.join(out, expected[2]!))).toEqual(["beta,2"]);
  });
});

describe("writeFiles with bad destinations", () => {
  const run = async (by: (line: string) => unknown, input = ORDERS) => {
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(create(input)).apply(writeFiles({ to: path.join(dir, "bad"), by: by as (line: string) => string, sink: textSink(), numShards: 1 }));
    await p.run().waitUntilFinish();
  };

  it("fails naming the element when by throws", async () => {
    await expect(
      run((line) => {
        if (line.startsWith("beta")) throw new Error("no customer");
        return customerOf(line);
      }),
    ).rejects.toThrow(/writeFiles: the destination function \(by\) threw for the element "beta,4".*no customer/s);
  });

  it("fails naming the element and the fix when a destination would leave `to`", async () => {
    await expect(run((line) => (line === "corp,7" ? "../escape" : customerOf(line)))).rejects.toThrow(
      /destination "\.\.\/escape" of the element "corp,7".*"\.\." segment.*relative folder/s,
    );
    await expect(run(() => "/etc")).rejects.toThrow(/it is absolute/);
    expect(await readdir(dir)).not.toContain("escape");
  });

  it("fails naming the element when a destination is not a string and the naming is the default", async () => {
    await expect(run(() => 42)).rejects.toThrow(/destinations must be strings; got 42.*pass naming/s);
  });

  it("fails when a custom naming gives an unsafe name, naming the destination", async () => {
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(create(ORDERS)).apply(writeFiles({ to: path.join(dir, "bad"), by: customerOf, naming: () => () => "../../outside.txt", sink: textSink() }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/destination "acme".*"\.\." segment/s);
  });

  it("with numShards, fails naming the element and the fix when the element coder cannot encode it for the shuffle", async () => {
    // The shuffle of numShards carries each element encoded once by the element coder; one it cannot encode fails there, named.
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0 });
    p.apply(create<unknown>(["acme,1", 42]))
      .apply(writeFiles({ to: path.join(dir, "bad"), sink: textSink() as FileSink<unknown>, numShards: 2, elementCoder: stringUtf8Coder as Coder<unknown> }));
    await expect(p.run().waitUntilFinish()).rejects.toThrow(/writeFiles: .*cannot encode the element 42 for the shuffle of numShards.*Give the input a coder/s);
  });

  it("refuses bad options at construction", () => {
    expect(() => writeFiles({ to: "", sink: textSink() })).toThrow(/needs \{ to \}/);
    expect(() => writeFiles({ to: dir, sink: textSink(), numShards: 0 })).toThrow(/numShards must be a positive integer/);
    expect(() => writeFiles({ to: dir, sink: textSink(), prefix: "../up" })).toThrow(/prefix "\.\.\/up" cannot name files/);
    expect(() => writeFiles({ to: dir, sink: {} as never })).toThrow(/needs \{ sink \}/);
  });

  it("names a window's files with Beam's defaultNaming", () => {
    const naming = defaultNaming("part", ".txt");
    expect(naming.template).toEqual({ prefix: "part", suffix: ".txt" });
  });
});

const s3Server = inject("s3Server");
const BUCKET = `write-files-${randomBytes(4).toString("hex")}`;

describe.skipIf(s3Server.endpoint === "")("writeFiles to s3:// (moto)", () => {
  const options = {
    s3Endpoint: s3Server.endpoint,
    s3Region: s3Server.region,
    s3AccessKeyId: s3Server.accessKeyId,
    s3SecretAccessKey: s3Server.secretAccessKey,
    s3ForcePathStyle: true,
  };

  beforeAll(async () => {
    const client = new S3Client({
      endpoint: s3Server.endpoint,
      region: s3Server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  });

  it("writes each customer's shards and marker under the bucket, with no temporary object left", async () => {
    const out = `s3://${BUCKET}/orders`;
    const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0, ...options });
    p.apply(create(ORDERS)).apply(writeFiles({ to: out, by: customerOf, sink: textSink(), prefix: "part", suffix: ".csv", numShards: 2 }));
    await p.run().waitUntilFinish();
    const fs = await fileSystemFor(out);
    const objects = (await fs.match(`${out}/**`)).map((m) => m.path.slice(out.length + 1)).sort();
    expect(objects).toEqual(
      ["acme", "beta", "corp"].flatMap((c) => [`${c}/_part.csv_SUCCESS`, `${c}/part-00000-of-00002.csv`, `${c}/part-00001-of-00002.csv`]).sort(),
    );
    const read = async (key: string) => {
      const handle = await fs.open(`${out}/${key}`);
      try {
        const buf = Buffer.alloc(1024);
        const n = await handle.read(buf, 0, buf.length, 0);
        return buf.subarray(0, n).toString("utf8");
      } finally {
        await handle.close();
      }
    };
    const acme = (await read("acme/part-00000-of-00002.csv")) + (await read("acme/part-00001-of-00002.csv"));
    expect(acme.split("\n").filter((l) => l !== "").sort()).toEqual(["acme,1", "acme,2", "acme,3", "acme,6"]);
    expect(await readSuccessMarker(successMarkerFile(`${out}/beta/part`, ".csv"))).toEqual([0, 1].map((i) => `${out}/beta/part-0000${i}-of-00002.csv`));
  });
});
