// Every file format written to and read back from real object stores on loopback: s3:// on
// moto and gs:// on fake-gcs-server (started by test/job-services-setup.ts; BEAM_TS_SERVERS
// without "s3" or "gcs" skips that store). The stores are configured the way a user does it,
// through pipeline options (--s3Endpoint, --gcsEndpoint, ...), and sharded writes are checked
// for their finalization: the shards and the success marker listing them, no temporary object
// left, a previous output replaced.
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Storage } from "@google-cloud/storage";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { Pipeline, TestStream, create, fixedWindows, map, schema, t, windowInto, type PCollection } from "../../src/index.js";
import { readAvro, writeAvro } from "../../src/io/avro/index.js";
import { readCsv, writeCsv } from "../../src/io/csv/index.js";
import { readSuccessMarker, successMarkerFile } from "../../src/io/files/index.js";
import { fileSystemFor } from "../../src/io/filesystems/index.js";
import { readParquet, writeParquet } from "../../src/io/parquet/index.js";
import { readJsonLines, readText, writeJsonLines, writeText } from "../../src/io/text/index.js";

const s3Server = inject("s3Server");
const gcsEndpoint = inject("gcsEndpoint");
const run = randomBytes(4).toString("hex");
const BUCKET = `formats-${run}`;

/** Pipeline options that point the object stores at the test servers (as --s3Endpoint=... would). */
const OPTIONS = {
  s3Endpoint: s3Server.endpoint,
  s3Region: s3Server.region,
  s3AccessKeyId: s3Server.accessKeyId,
  s3SecretAccessKey: s3Server.secretAccessKey,
  s3ForcePathStyle: true,
  gcsEndpoint,
  gcpProject: "beam-ts-test",
};

const STORES = [
  { scheme: "s3", available: s3Server.endpoint !== "" },
  { scheme: "gs", available: gcsEndpoint !== "" },
];

beforeAll(async () => {
  if (s3Server.endpoint !== "") {
    const client = new S3Client({
      endpoint: s3Server.endpoint,
      region: s3Server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  }
  if (gcsEndpoint !== "") await new Storage({ apiEndpoint: gcsEndpoint, projectId: "beam-ts-test" }).createBucket(BUCKET);
});

async function runPipeline(build: (p: Pipeline) => void): Promise<void> {
  const p = new Pipeline({ runner: "embedded", maxBundleRetries: 0, ...OPTIONS });
  build(p);
  await p.run().waitUntilFinish();
}

async function readBack<T>(read: (p: Pipeline) => PCollection<T>): Promise<T[]> {
  const out: T[] = [];
  await runPipeline((p) =>
    read(p).apply(
      "Collect",
      map((x: T) => {
        out.push(x);
        return x;
      }),
    ),
  );
  return out;
}

/** Every object under a directory (after a pipeline ran, the file systems use its options). */
async function objectsUnder(dir: string): Promise<string[]> {
  return (await (await fileSystemFor(dir)).match(`${dir}/**`)).map((m) => m.path);
}

const Trip = schema({ id: t.int64(), fare: t.double(), note: t.string().nullable() }, { name: "Trip" });
const trips = Array.from({ length: 25 }, (_, i) => ({ id: BigInt(i), fare: i / 8, note: i % 4 === 0 ? null : `trip "${i}", ok` }));
const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number((a["id"] as bigint) - (b["id"] as bigint));

for (const store of STORES) {
  describe.skipIf(!store.available)(`file formats on ${store.scheme}://`, () => {
    const root = `${store.scheme}://${BUCKET}`;

    it("finalizes a sharded text write into its shards and a success marker, and a rewrite replaces them", async () => {
      const dir = `${root}/text`;
      const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
      await runPipeline((p) => p.apply(create(lines)).apply(writeText(`${dir}/words`, { suffix: ".txt", numShards: 3 })));
      const shards = [0, 1, 2].map((i) => `${dir}/words-0000${i}-of-00003.txt`);
      const marker = successMarkerFile(`${dir}/words`, ".txt");
      expect((await objectsUnder(dir)).sort()).toEqual([marker, ...shards].sort());
      expect(await readSuccessMarker(marker)).toEqual(shards);
      expect((await readBack((p) => p.apply(readText(`${dir}/*`)))).sort()).toEqual([...lines].sort());

      await runPipeline((p) => p.apply(create(["only"])).apply(writeText(`${dir}/words`, { suffix: ".txt", numShards: 1 })));
      const one = `${dir}/words-00000-of-00001.txt`;
      expect((await objectsUnder(dir)).sort()).toEqual([marker, one].sort());
      expect(await readSuccessMarker(marker)).toEqual([one]);
      expect(await readBack((p) => p.apply(readText(`${dir}/words-*`)))).toEqual(["only"]);
    });

    it("writes gzipped text and JSON Lines and reads them back", async () => {
      const dir = `${root}/json`;
      const values = trips.map((r) => ({ id: Number(r.id), note: r.note }));
      await runPipeline((p) => p.apply(create(values)).apply(writeJsonLines(`${dir}/v`, { suffix: ".jsonl.gz", compression: "gzip", numShards: 2 })));
      const back = await readBack((p) => p.apply(readJsonLines<{ id: number; note: string | null }>(`${dir}/v-*.jsonl.gz`)));
      expect(back.sort((a, b) => a.id - b.id)).toEqual(values);
    });

    it("writes CSV and reads typed rows back, split into byte ranges and whole", async () => {
      const dir = `${root}/csv`;
      await runPipeline((p) => p.apply(create(trips)).apply(writeCsv(`${dir}/trips`, { schema: Trip, numShards: 2 })));
      expect(await readSuccessMarker(successMarkerFile(`${dir}/trips`, ".csv"))).toHaveLength(2);
      for (const splittable of [true, false]) {
        const back = await readBack((p) => p.apply(readCsv(`${dir}/trips-*.csv`, { schema: Trip, splittable })));
        expect(back.sort(byId)).toEqual(trips);
      }
    });

    it("writes Avro and reads the records back, split at sync markers", async () => {
      const dir = `${root}/avro`;
      await runPipeline((p) => p.apply(create(trips)).apply(writeAvro(`${dir}/trips`, { schema: Trip, numShards: 2, syncInterval: 64 })));
      const back = await readBack((p) => p.apply(readAvro(`${dir}/trips-*.avro`, { minSplitBytes: 128 })));
      expect(back.map((r) => ({ ...r })).sort(byId)).toEqual(trips);
    });

    it("commits a streaming write's panes as whole objects, leaving no temporary object", async () => {
      const dir = `${root}/stream`;
      const MINUTE = 60_000;
      const stream = TestStream.create<string>()
        .addElements({ value: "a", timestamp: 1_000 }, { value: "b", timestamp: MINUTE + 1 })
        .advanceWatermarkTo(MINUTE + 2)
        .addElements({ value: "c", timestamp: MINUTE + 3 })
        .advanceWatermarkToInfinity();
      await runPipeline((p) => p.apply(stream).apply(windowInto(fixedWindows(MINUTE))).apply(writeText(`${dir}/out`, { suffix: ".txt", numShards: 1 })));
      const iso = (ms: number) => new Date(ms).toISOString();
      const files = [0, MINUTE].map((start) => `${dir}/out-${iso(start)}-${iso(start + MINUTE)}-00000-of-00001.txt`);
      expect((await objectsUnder(dir)).sort()).toEqual(files);
      expect((await readBack((p) => p.apply(readText(`${dir}/out-*`)))).sort()).toEqual(["a", "b", "c"]);
    });

    it("writes Parquet in several row groups and reads a projection back", async () => {
      const dir = `${root}/parquet`;
      await runPipeline((p) => p.apply(create(trips)).apply(writeParquet(`${dir}/trips`, { schema: Trip, numShards: 1, rowGroupSize: 6 })));
      expect(await readSuccessMarker(successMarkerFile(`${dir}/trips`, ".parquet"))).toEqual([`${dir}/trips-00000-of-00001.parquet`]);
      const back = await readBack((p) => p.apply(readParquet<{ id: bigint; note: string | null }>(`${dir}/*.parquet`, { columns: ["id", "note"] })));
      expect(back.sort(byId)).toEqual(trips.map(({ id, note }) => ({ id, note })));
    });
  });
}
