import { describe, expect, it } from "vitest";
import { OptionsError } from "../../model/index.js";
import { HelpRequested, defineOptions, option } from "./index.js";

/** A program that declares none of the runner options. */
const Options = defineOptions({ output: option.string({ description: "Output prefix" }) });

/** The message of the OptionsError `parse` throws for `argv`. */
function problemsOf(argv: readonly string[], spec = Options): string {
  try {
    spec.parse(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsError);
    return (e as Error).message;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("runner options", () => {
  it("are accepted by a program that does not declare them, typed as the runner reads them", () => {
    const o = Options.parse([
      "--runner=flink",
      "--streaming",
      "--checkpointingInterval=60000",
      "--checkpointing-mode=AT_LEAST_ONCE",
      "--flinkMaster=jobmanager:8081",
      "--parallelism",
      "4",
      "--maxParallelism=128",
      "--stateBackend=rocksdb",
      "--stateBackendStoragePath=s3://bucket/state",
      "--sdkWorkerParallelism=0",
      "--sparkMaster=spark://master:7077",
      "--batchIntervalMillis=1000",
    ]);
    expect(o.streaming).toBe(true);
    expect(o.checkpointingInterval).toBe(60_000);
    expect(o.checkpointingMode).toBe("AT_LEAST_ONCE");
    expect(o.flinkMaster).toBe("jobmanager:8081");
    expect(o.parallelism).toBe(4);
    expect(o.maxParallelism).toBe(128);
    expect(o.stateBackend).toBe("rocksdb");
    expect(o.stateBackendStoragePath).toBe("s3://bucket/state");
    expect(o.sdkWorkerParallelism).toBe(0);
    expect(o.sparkMaster).toBe("spark://master:7077");
    expect(o.batchIntervalMillis).toBe(1000);
    // Types follow the definitions: numbers, a flag, a choice.
    const typed: [number | undefined, boolean, "EXACTLY_ONCE" | "AT_LEAST_ONCE" | undefined] = [o.checkpointingInterval, o.streaming, o.checkpointingMode];
    expect(typed).toEqual([60_000, true, "AT_LEAST_ONCE"]);
  });

  it("have no value when not given, so the runner's own default applies (--parallelism too)", () => {
    const o = Options.parse([]);
    expect(o.streaming).toBe(false);
    for (const name of ["checkpointingInterval", "checkpointingMode", "flinkMaster", "parallelism", "maxParallelism", "stateBackend", "sparkMaster"] as const) {
      expect(o[name], name).toBeUndefined();
    }
  });

  it("refuse values the runner would refuse, each naming the option and what it expects", () => {
    const message = problemsOf(["--checkpointingInterval=0", "--checkpointingMode=SOMETIMES", "--maxParallelism=1.5", "--stateBackend=memory", "--streaming=yes"]);
    expect(message).toContain("--checkpointingInterval=0: expected a positive number of milliseconds, or -1 for no checkpoints, got 0");
    expect(message).toContain('--checkpointingMode=SOMETIMES: expected one of EXACTLY_ONCE, AT_LEAST_ONCE, got "SOMETIMES"');
    expect(message).toContain('--maxParallelism=1.5: expected a whole number, got "1.5"');
    expect(message).toContain('--stateBackend=memory: expected one of rocksdb, filesystem, got "memory"');
    expect(message).toContain('--streaming=yes: expected true or false, got "yes"');
    expect(problemsOf(["--checkpointingInterval=-2"])).toContain("--checkpointingInterval=-2: expected a number between -1 and Infinity");
    expect(Options.parse(["--checkpointingInterval=-1"]).checkpointingInterval).toBe(-1);
  });

  it("suggest the runner option a misspelled flag meant", () => {
    expect(problemsOf(["--checkpointingIntervall=5000"])).toContain("Unknown option --checkpointingIntervall. Did you mean --checkpointingInterval?");
  });

  it("are listed by --help with their descriptions", () => {
    let help = "";
    try {
      Options.parse(["--help"]);
    } catch (e) {
      expect(e).toBeInstanceOf(HelpRequested);
      help = (e as HelpRequested).help;
    }
    expect(help).toMatch(/Standard options:[\s\S]*--streaming\s+Run the job in streaming mode/);
    expect(help).toMatch(/--checkpointingInterval=<integer>\s+Flink: milliseconds between checkpoints; -1: none/);
    expect(help).toMatch(/--checkpointingMode=<EXACTLY_ONCE\|AT_LEAST_ONCE>\s+Flink:/);
    expect(help).toMatch(/--sparkMaster=<string>\s+Spark:/);
  });

  it("may be declared again by a program with the runner's type, whose description and default then apply", () => {
    const Own = defineOptions({
      streaming: option.boolean({ description: "Read the unbounded source" }),
      checkpointingInterval: option.integer({ description: "Checkpoint every N ms", default: 5000 }),
    });
    expect(Own.parse([]).checkpointingInterval).toBe(5000);
    expect(Own.parse(["--streaming", "--checkpointingInterval=2000"])).toMatchObject({ streaming: true, checkpointingInterval: 2000 });
    expect(Own.help()).toContain("Read the unbounded source");
  });

  it("may not be declared again with another type, nor may other standard options", () => {
    expect(() => defineOptions({ checkpointingInterval: option.string({ description: "as text" }) })).toThrow(
      "The option --checkpointingInterval is a runner option of type integer, which every program accepts; your declaration makes it string. " +
        "Remove your declaration, or declare it as integer.",
    );
    expect(() => defineOptions({ jobEndpoint: option.string({ description: "x" }) })).toThrow(/standard option/);
  });
});
