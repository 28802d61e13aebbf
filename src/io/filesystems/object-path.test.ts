import { describe, expect, it } from "vitest";
import { directoryPrefix, joinObjectPath, objectBasename, objectDirname, objectPathOf, parseObjectPath } from "./object-path.js";

describe("object-store paths", () => {
  it("splits scheme, bucket and key, and refuses a path without a bucket naming it", () => {
    expect(parseObjectPath("s3://b/a/x.txt", "s3", "T")).toEqual({ scheme: "s3", bucket: "b", key: "a/x.txt" });
    expect(parseObjectPath("gs://b", "gs", "T")).toEqual({ scheme: "gs", bucket: "b", key: "" });
    expect(() => parseObjectPath("s3:///x", "s3", "S3FileSystem.open")).toThrow(/S3FileSystem\.open: "s3:\/\/\/x" names no bucket/);
    expect(() => parseObjectPath("/tmp/x", "gs", "T")).toThrow(/"\/tmp\/x" is not a gs:\/\/ path/);
    expect(objectPathOf("s3", "b", "k")).toBe("s3://b/k");
  });

  it("joins, and takes the directory and the last segment, keeping scheme and bucket", () => {
    expect(joinObjectPath("s3://b/dir/", "x", "y.txt")).toBe("s3://b/dir/x/y.txt");
    expect(joinObjectPath("s3://b/dir", "x")).toBe("s3://b/dir/x");
    expect(objectDirname("gs://b/a/x.txt")).toBe("gs://b/a");
    expect(objectDirname("gs://b/x.txt")).toBe("gs://b/");
    expect(objectBasename("s3://b/a/x.txt")).toBe("x.txt");
    expect(objectBasename("s3://b/a/")).toBe("a");
    expect(directoryPrefix("a/b")).toBe("a/b/");
    expect(directoryPrefix("")).toBe("");
  });
});
