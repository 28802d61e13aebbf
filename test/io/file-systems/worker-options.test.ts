/**
 * Pipeline options reach the file systems of worker threads (Beam's workers call
 * FileSystems.setDefaultPipelineOptions when they start): a job at --parallelism=2 writes
 * objects to moto from both threads with the endpoint, region and credentials the submitter
 * was given. BEAM_TS_SERVERS without "s3" skips it.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Pipeline } from "../../../src/index.js";
import { Secret } from "../../../src/model/index.js";
import { fileSystemFor, setDefaultFileSystemOptions } from "../../../src/io/filesystems/index.js";
import { ELEMENTS, NAMESPACE, writeObjects } from "./worker-options-pipeline.js";

const MODULE = fileURLToPath(new URL("./worker-options-module.ts", import.meta.url));
const s3 = inject("s3Server");

describe.skipIf(s3.endpoint === "")("file system options in worker threads", () => {
  afterAll(() => setDefaultFileSystemOptions({}));

  it("writes objects from both threads of --parallelism=2 with the S3 options the submitter was given", async () => {
    const bucket = `workers-${randomBytes(4).toString("hex")}`;
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    const prefix = `s3://${bucket}/out/`;
    process.env["BEAM_TS_FS_WORKER_PREFIX"] = prefix;
    const p = new Pipeline({
      parallelism: 2,
      pipelineModule: MODULE,
      maxBundleRetries: 0,
      s3Endpoint: s3.endpoint,
      s3Region: s3.region,
      s3AccessKeyId: s3.accessKeyId,
      s3SecretAccessKey: new Secret(s3.secretAccessKey),
      s3ForcePathStyle: true,
    });
    writeObjects(p, prefix);
    const result = p.run();
    expect(await result.waitUntilFinish()).toBe("DONE");
    const threads = result
      .metrics()
      .queryMetrics({})
      .stringSets.filter((s) => s.namespace === NAMESPACE && s.name === "threads")
      .flatMap((s) => [...s.committed]);
    expect(new Set(threads).size).toBe(2);
    const fs = await fileSystemFor(prefix);
    const written = await fs.match(`${prefix}*.txt`);
    expect(written).toHaveLength(ELEMENTS);
  }, 120_000);
});
