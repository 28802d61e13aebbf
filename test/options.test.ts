import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { HelpRequested, OptionsError, defineOptions, option, redactOptions } from "../src/index.js";

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
    expect(message).toContain('"stray" is not an option');
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

  it("never shows secret values when options are printed, inspected, serialised or invalid", () => {
    const o = Options.parse(["--output=o", "--apiKey=hunter2"]);
    expect(o.apiKey).toBe("hunter2");
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

  it("refuses to redefine a standard option", () => {
    expect(() => defineOptions({ runner: option.string({ description: "x" }) })).toThrow(/standard option/);
  });
});
