import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inspect, promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HelpRequested,
  OptionsError,
  Pipeline,
  create,
  defineOptions,
  option,
  Secret,
  redactOptions,
  registerRunner,
  type PipelineResult,
} from "../src/index.js";
import { captureRuns } from "../src/pipeline/index.js";
import { cli } from "./portable/cli.js";

const Options = defineOptions({
  input: option.string({ description: "Files to read", default: "data/*.txt" }),
  output: option.string({ description: "Output prefix", required: true }),
  limit: option.integer({ description: "Max lines", min: 1 }),
  ratio: option.number({ description: "Sampling ratio", default: 0.5, max: 1 }),
  verbose: option.boolean({ description: "Print more" }),
  mode: option.choice(["fast", "safe"] as const, { description: "Mode", default: "safe" }),
  apiKey: option.string({ description: "Service key", secret: true }),
});

describe("pipeline options", () => {
  it("parses --name=value, --name value, flags and kebab-case into typed values with defaults", () => {
    const o = Options.parse(["--output=out/x", "--limit", "10", "--verbose", "--mode=fast", "--max-bundle-retries=5"]);
    expect(o.output).toBe("out/x");
    expect(o.input).toBe("data/*.txt");
    expect(o.limit).toBe(10);
    expect(o.ratio).toBe(0.5);
    expect(o.verbose).toBe(true);
    expect(o.mode).toBe("fast");
    expect(o.maxBundleRetries).toBe(5);
    expect(o.runner).toBe("embedded");
    expect(Options.parse(["--output=o", "--no-verbose"]).verbose).toBe(false);
    // Types follow the definitions: `limit` may be undefined, `output` may not.
    const limit: number | undefined = o.limit;
    const output: string = o.output;
    expect([limit, output]).toEqual([10, "out/x"]);
  });

  it("reports every invalid option at once, with the fix", () => {
    let err: unknown;
    try {
      Options.parse(["--outptu=x", "--limit=0", "--ratio=abc", "--mode=slow", "stray"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OptionsError);
    const message = (err as Error).message;
    expect(message).toContain("Unknown option --outptu. Did you mean --output?");
    expect(message).toContain("--limit=0: expected a number between 1 and Infinity, got 0");
    expect(message).toContain('--ratio=abc: expected a number, got "abc"');
    expect(message).toContain('--mode=slow: expected one of fast, safe, got "slow"');
    expect(message).toContain("Argument 5 is not an option (its text is not shown)");
    expect(message).not.toContain("stray");
    expect(message).toContain("--output is required");
  });

  it("answers --help with every option, its type, default and description", () => {
    let help = "";
    try {
      Options.parse(["--help"]);
    } catch (e) {
      expect(e).toBeInstanceOf(HelpRequested);
      help = (e as HelpRequested).help;
    }
    expect(help).toMatch(/--input=<string>\s+Files to read \(default: data\/\*\.txt\)/);
    expect(help).toMatch(/--output=<string>\s+Output prefix \(required\)/);
    expect(help).toMatch(/--mode=<fast\|safe>/);
    expect(help).toMatch(/--apiKey=<string>\s+Service key \[secret\]/);
    expect(help).toMatch(/Standard options:[\s\S]*--runner=<string>/);
  });

  it("gives a secret option's value as a Secret, read only through reveal()", () => {
    const o = Options.parse(["--output=o", "--apiKey=hunter2"]);
    // The type says so: a Secret, which must be revealed to be used.
    const key: Secret<string> | undefined = o.apiKey;
    // @ts-expect-error a secret option's value is a Secret, not a string
    const bare: string | undefined = o.apiKey;
    // @ts-expect-error a flag cannot be secret
    option.boolean({ description: "Flag", secret: true });
    expect(typeof bare).toBe("object");
    expect(key).toBeInstanceOf(Secret);
    expect(key?.reveal()).toBe("hunter2");
    expect(`${key}`).toBe("****");
    const WithDefault = defineOptions({ token: option.string({ description: "Token", secret: true, default: "t0k3n" }) });
    const token: Secret<string> = WithDefault.parse([]).token;
    expect(token.reveal()).toBe("t0k3n");
    expect(WithDefault.help()).toMatch(/Token \(default: \*\*\*\*\) \[secret\]/);
    const Pin = defineOptions({ pin: option.integer({ description: "PIN", secret: true, required: true }) });
    const pin: Secret<number> = Pin.parse(["--pin", "1234"]).pin;
    expect(pin.reveal()).toBe(1234);
  });

  it("keeps secret values hidden in copies of the options: spread, structuredClone, a nested record", () => {
    const o = Options.parse(["--output=o", "--apiKey=hunter2"]);
    for (const copy of [{ ...o }, structuredClone({ ...o }), { job: { options: { ...o } } }]) {
      expect(inspect(copy, { depth: 5 })).not.toContain("hunter2");
      expect(JSON.stringify(copy)).not.toContain("hunter2");
    }
  });

  it("never echoes the value of a misspelled flag or a stray argument: it names the flag and the closest option", () => {
    for (const argv of [["--apiKye", "hunter2"], ["--apiKye=hunter2"], ["--api-kye", "hunter2", "--limit=2"], ["--apiKey=", "hunter2"]]) {
      const message = problemsOf(argv);
      expect(message).not.toContain("hunter2");
      if (argv[0] !== "--apiKey=") expect(message).toContain("Unknown option --apiKye. Did you mean --apiKey?");
    }
    // The word after an unknown flag is its value, not a stray argument of its own.
    expect(problemsOf(["--apiKye", "hunter2"])).not.toMatch(/is not an option/);
    expect(problemsOf(["--apiKey=", "hunter2"])).toContain("Argument 3 is not an option (its text is not shown)");
  });

  it("never shows secret values when options are printed, inspected, serialised or invalid", () => {
    const o = Options.parse(["--output=o", "--apiKey=hunter2"]);
    expect(o.apiKey?.reveal()).toBe("hunter2");
    expect(inspect(o)).not.toContain("hunter2");
    expect(JSON.stringify(o)).not.toContain("hunter2");
    expect(String(o)).not.toContain("hunter2");
    expect(redactOptions(o)["apiKey"]).toBe("****");
    const SecretNumber = defineOptions({ pin: option.integer({ description: "PIN", secret: true, min: 0 }) });
    expect(() => SecretNumber.parse(["--pin=-1234"])).toThrow(/--pin=\*\*\*\*: not a valid integer/);
    try {
      SecretNumber.parse(["--pin=-1234"]);
    } catch (e) {
      expect((e as Error).message).not.toContain("1234");
    }
  });

  it("shows no secret value when an error holding the options is inspected", () => {
    const o = Options.parse(["--output=o", "--apiKey=hunter2"]);
    const err = Object.assign(new Error(`failed with ${o.apiKey}`), { options: o, copy: { ...o }, key: o.apiKey });
    for (const text of [inspect(err, { depth: 5 }), inspect(err, { customInspect: false, depth: 5 }), String(err)]) {
      expect(text).not.toContain("hunter2");
    }
    expect(err.message).toBe("failed with ****");
  });

  it("refuses to redefine a standard option", () => {
    expect(() => defineOptions({ runner: option.string({ description: "x" }) })).toThrow(/standard option/);
  });
});

/** The problems `parse` reports for `argv` (the message of its OptionsError), or "" when it parses. */
function problemsOf(argv: string[]): string {
  try {
    Options.parse(["--output=o", ...argv]);
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsError);
    return (e as Error).message;
  }
}

describe("standard options", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "beam-ts-options-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects an unknown --runner where options are parsed, listing the known runners", () => {
    const message = problemsOf(["--runner=flinkk", "--limit=0"]);
    expect(message).toMatch(/--runner=flinkk: no runner named "flinkk"; known runners: embedded, .*flink/);
    expect(message).toContain("--limit=0");
    expect(problemsOf(["--runner=flink"])).toBe("");
  });

  it("rejects a malformed --memoryBudget where options are parsed, and accepts sizes, bytes and none", () => {
    expect(problemsOf(["--memoryBudget=12XB"])).toContain('--memoryBudget=12XB: expected a size such as 512MB or 2GB');
    expect(problemsOf(["--memoryBudget=0"])).toContain("--memoryBudget=0: expected a size");
    for (const ok of ["512MB", "1.5gb", "64K", "1048576", "none"]) expect(problemsOf([`--memoryBudget=${ok}`])).toBe("");
    expect(Options.help()).toMatch(/--memoryBudget=<size>/);
  });

  it("requires --tempLocation to be an existing directory for the embedded runner, naming the path and the fix", async () => {
    const missing = path.join(dir, "missing");
    const message = problemsOf([`--tempLocation=${missing}`]);
    expect(message).toContain(`--tempLocation=${missing}: no such directory. Create it (mkdir -p "${missing}")`);
    expect(message).toContain("or leave out --tempLocation to use the OS temp directory");
    await writeFile(path.join(dir, "file"), "x");
    expect(problemsOf([`--tempLocation=${path.join(dir, "file")}`])).toContain("not a directory");
    expect(problemsOf([`--tempLocation=${dir}`])).toBe("");
    // For a job service the path is the service's to resolve.
    expect(problemsOf(["--runner=flink", `--tempLocation=${missing}`])).toBe("");
  });

  it("requires --pipelineModule to name an existing file, for the embedded and the portable runners", () => {
    const missing = path.join(dir, "no-such-module.ts");
    for (const runner of ["embedded", "flink"]) {
      expect(problemsOf([`--runner=${runner}`, `--pipelineModule=${missing}`])).toContain(`--pipelineModule=${missing}: no such file`);
    }
    expect(problemsOf([`--pipelineModule=${import.meta.filename}`])).toBe("");
  });

  it("reports what the selected runner needs with the other problems: --jobEndpoint for --runner=portable", () => {
    expect(problemsOf(["--runner=portable", "--limit=0"])).toMatch(/--limit=0.*\n.*--runner=portable needs --jobEndpoint=host:port/s);
    expect(problemsOf(["--runner=portable", "--jobEndpoint=localhost:8099"])).toBe("");
  });

  it("does not check the submitter's directories again in a worker (captured runs)", () => {
    const uninstall = captureRuns(() => {});
    try {
      expect(problemsOf([`--tempLocation=${path.join(dir, "missing")}`])).toBe("");
    } finally {
      uninstall();
    }
  });

  it("never shows a runner the values of secret options", () => {
    registerRunner("echo-options", () => ({
      name: "echo-options",
      run: (): PipelineResult => {
        throw new Error("not run");
      },
      checkOptions: (options) => [`saw ${JSON.stringify(options)}`],
    }));
    const message = problemsOf(["--runner=echo-options", "--apiKey=hunter2"]);
    expect(message).toContain('"apiKey":"****"');
    expect(message).not.toContain("hunter2");
  });

  it("fails Pipeline.run() with an OptionsError for options given as a record", () => {
    const p = new Pipeline({ runner: "nope" });
    p.apply(create([1]));
    expect(() => p.run()).toThrow(OptionsError);
    expect(() => p.run()).toThrow(/No runner named "nope" \(--runner=nope\)/);
  });
});

describe("options of a program run from the command line", () => {
  const program = fileURLToPath(new URL("./fixtures/options-program.ts", import.meta.url));
  const runProgram = promisify(execFile);

  /** Runs the program; resolves with its exit code and output, whatever the code. */
  async function exitOf(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", program, ...args], {
        cwd: path.dirname(program),
        env: { ...process.env, BEAM_TS_JOB_SERVICES: "" },
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const failed = e as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it("exits with code 2 naming the option, without a stack trace, for a bad --runner, --memoryBudget or --tempLocation", async () => {
    const missing = path.join(os.tmpdir(), "beam-ts-options-no-such-dir", "spill");
    const cases: [string[], RegExp[]][] = [
      [["--runner=foo"], [/--runner=foo: no runner named "foo"; known runners: embedded/]],
      [["--memoryBudget=12XB"], [/--memoryBudget=12XB: expected a size such as 512MB/]],
      [[`--tempLocation=${missing}`], [/--tempLocation=\S+spill: no such directory\. Create it/]],
      // Every problem at once, a secret's value hidden.
      [["--memoryBudget=12XB", `--tempLocation=${missing}`, "--pin=hunter2"], [/--memoryBudget=12XB/, /--pin=\*\*\*\*/, /--tempLocation=/]],
    ];
    const runs = await Promise.all(cases.map(([args]) => exitOf(...args)));
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(2);
      for (const problem of cases[i]![1]) expect(run.stderr).toMatch(problem);
      expect(run.stderr).toContain("Invalid pipeline options:");
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stderr).not.toContain("hunter2");
    });
  }, 60_000);

  it("prints no secret value when it crashes with an uncaught error holding its options", async () => {
    const crash = fileURLToPath(new URL("./fixtures/secret-crash-program.ts", import.meta.url));
    let failed: { code: number; stderr: string } | undefined;
    try {
      await runProgram(process.execPath, ["--import", "tsx", crash, "--apiKey=hunter2"], { cwd: path.dirname(crash) });
    } catch (e) {
      failed = e as { code: number; stderr: string };
    }
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("could not connect with key ****");
    expect(failed?.stderr).toMatch(/key: Secret \[\*\*\*\*\]/);
    expect(failed?.stderr).not.toContain("hunter2");
  }, 60_000);

  it("accepts runner options it does not declare under `beam-ts run` (--streaming, --checkpointingInterval, --flinkMaster)", async () => {
    const run = await cli(["run", program, "--streaming", "--checkpointingInterval=60000", "--flinkMaster=[local]", "--sparkMaster=local[2]"], {
      BEAM_TS_JOB_SERVICES: "",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("done\n");
  }, 60_000);

  it("runs when its options are valid", async () => {
    const run = await exitOf("--memoryBudget=64MB", `--tempLocation=${os.tmpdir()}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("done\n");
  }, 60_000);
});
