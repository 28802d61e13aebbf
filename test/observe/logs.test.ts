import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, create, defineOptions, logger, parDo } from "../../src/index.js";
import { configureLogs, setLogOutput, type LogRecord } from "../../src/metrics/index.js";

const restores: Array<() => void> = [];
afterEach(() => {
  for (const r of restores.splice(0)) r();
  configureLogs({});
});

describe("user code's log records on the embedded runner", () => {
  it("name the job, the step and its bundle, at the levels --logLevel and --logLevels set", async () => {
    const records: LogRecord[] = [];
    restores.push(setLogOutput((r) => records.push(r)));
    const p = new Pipeline({ jobName: "logged", logLevel: "warn", logLevels: "Parse=debug" });
    p.apply("Lines", create(["1", "x", "3"]))
      .apply("Clean", parDo<string, string>({
        process(line, ctx) {
          logger.info("cleaning"); // below Clean's level (warn): dropped
          ctx.output(line.trim());
        },
      }))
      .apply("Parse", parDo<string, number>({
        process(line, ctx) {
          logger.debug("parsing", { length: line.length });
          const n = Number(line);
          if (Number.isNaN(n)) logger.warn("not a number");
          else ctx.output(n);
        },
      }));
    await p.run().waitUntilFinish();
    expect(records.filter((r) => r.step === "Clean")).toEqual([]);
    const parse = records.filter((r) => r.step === "Parse");
    expect(parse.map((r) => [r.level, r.msg])).toEqual(
      expect.arrayContaining([
        ["debug", "parsing"],
        ["warn", "not a number"],
      ]),
    );
    expect(parse.filter((r) => r.msg === "parsing")).toHaveLength(3);
    for (const r of parse) expect(r).toMatchObject({ job: "logged", worker: 0, bundle: expect.stringMatching(/^\d+$/) });
  });

  it("refuses an unknown level or a malformed --logLevels where options are parsed", () => {
    const Options = defineOptions({});
    expect(Options.parse(["--logLevel=debug", "--logLevels=Parse=warn"])).toMatchObject({ logLevel: "debug", logLevels: "Parse=warn" });
    expect(() => Options.parse(["--logLevel=loud"])).toThrow(/--logLevel.*expected one of debug, info, warn, error, got "loud"/s);
    expect(() => Options.parse(["--logLevels=Parse"])).toThrow(/"Parse" is not <step>=<level>/);
  });
});
