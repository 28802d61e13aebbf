/**
 * The pipeline options reach the file systems in every process that runs or rebuilds a
 * pipeline (src/pipeline/run-listeners.ts → setDefaultFileSystemOptions), as Beam's workers
 * call FileSystems.setDefaultPipelineOptions when they start.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, create } from "../../src/index.js";
import { Secret } from "../../src/model/index.js";
import { captureRuns } from "../../src/pipeline/index.js";
import {
  LocalFileSystem,
  defaultFileSystemOptions,
  fileSystemFor,
  registerFileSystem,
  setDefaultFileSystemOptions,
  type FileSystem,
} from "../../src/io/filesystems/index.js";

describe("default file system options (Beam's FileSystems.setDefaultPipelineOptions)", () => {
  afterEach(() => setDefaultFileSystemOptions({}));

  it("are the options of the pipeline a worker rebuilds, set when its captured run() is called", () => {
    const uninstall = captureRuns(() => {});
    try {
      const p = new Pipeline({ s3Region: "eu-west-1", s3SecretAccessKey: new Secret("k") });
      p.apply(create([1]));
      p.run();
      expect(defaultFileSystemOptions()["s3Region"]).toBe("eu-west-1");
    } finally {
      uninstall();
    }
  });

  it("are the options of the pipeline the submitting process runs", async () => {
    const p = new Pipeline({ gcpProject: "submitted-project" });
    p.apply(create([1]));
    const result = p.run();
    expect(defaultFileSystemOptions()["gcpProject"]).toBe("submitted-project");
    expect(await result.waitUntilFinish()).toBe("DONE");
  });

  it("rebuild an object store's file system when they change, and keep it when they are equal", async () => {
    let made = 0;
    registerFileSystem("counted", () => {
      made++;
      return new LocalFileSystem() as FileSystem;
    });
    setDefaultFileSystemOptions({ s3SecretAccessKey: new Secret("one") });
    await fileSystemFor("counted://b/x");
    await fileSystemFor("counted://b/y");
    expect(made).toBe(1);
    // Re-parsed options (new Secret objects, same values): nothing to rebuild.
    setDefaultFileSystemOptions({ s3SecretAccessKey: new Secret("one") });
    await fileSystemFor("counted://b/x");
    expect(made).toBe(1);
    setDefaultFileSystemOptions({ s3SecretAccessKey: new Secret("two") });
    await fileSystemFor("counted://b/x");
    expect(made).toBe(2);
  });
});
