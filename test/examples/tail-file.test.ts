import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Pipeline, parDo } from "../../src/index.js";
import { tailFile, type TailedLine } from "../../examples/tail-file/tail-file.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "beam-ts-tail-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("examples/tail-file (the SDF guide's source)", () => {
  it("reads lines as they are appended, each once, until drained", async () => {
    const file = path.join(dir, "app.log");
    writeFileSync(file, "one\ntwo\n");
    const seen: TailedLine[] = [];
    const p = new Pipeline();
    p.apply(tailFile(file, { pollEvery: 10 })).apply(parDo<TailedLine, never>({ process: (l) => void seen.push(l) }));
    const result = p.run();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor(2);
    appendFileSync(file, "three\nfour");
    await waitFor(3);
    appendFileSync(file, "\n");
    await waitFor(4);
    expect(await result.drain()).toBe("DRAINED");
    expect(seen).toEqual([
      { offset: 0, line: "one" },
      { offset: 4, line: "two" },
      { offset: 8, line: "three" },
      { offset: 14, line: "four" },
    ]);
  });
});
