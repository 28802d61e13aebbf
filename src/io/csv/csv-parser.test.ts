import { describe, expect, it, vi } from "vitest";

vi.mock("csv-parse/sync", () => {
  throw new Error("Cannot find package 'csv-parse' imported from beam-ts");
});

describe("loadCsvParse", () => {
  it("fails naming the package to install when csv-parse is missing", async () => {
    const { loadCsvParse } = await import("./csv-parser.js");
    await expect(loadCsvParse()).rejects.toThrow(/needs the package "csv-parse": run `npm install csv-parse`/);
  });
});
