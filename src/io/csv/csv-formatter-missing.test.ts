import { describe, expect, it, vi } from "vitest";

// In its own file: the mock hides csv-stringify from every test of the file.
vi.mock("csv-stringify", () => {
  throw new Error("Cannot find package 'csv-stringify' imported from beam-ts");
});

describe("loadCsvStringify", () => {
  it("fails naming the step and the package to install when csv-stringify is missing", async () => {
    const { loadCsvStringify } = await import("./csv-formatter.js");
    await expect(loadCsvStringify("writeCsv")).rejects.toThrow(/writeCsv needs the package "csv-stringify": run `npm install csv-stringify`/);
  });
});
