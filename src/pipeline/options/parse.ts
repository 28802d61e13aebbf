import { OptionsError } from "../../model/index.js";
import { runnerOptionProblems } from "../runner.js";
import { HelpRequested, type OptionDef, type OptionSpecs, type OptionValues } from "./option.js";
import { formatHelp } from "./help.js";
import { redactOptions, redactedView } from "./redact.js";
import { standardOptions, type StandardOptionSpecs } from "./standard.js";
import { runnerOptions } from "./runner-options.js";

/** Parsed options: the values, typed, with secrets hidden when printed or serialised. */
export type ParsedOptions<S extends OptionSpecs> = OptionValues<S & StandardOptionSpecs>;

const kebabToCamel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

function suggestion(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  const best = known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean --${best.k}?` : "";
}

/**
 * The options of a pipeline program: your definitions plus the standard ones.
 *
 * @example
 * const Options = defineOptions({ output: option.string({ description: "Output prefix", required: true }) });
 * const options = Options.parse(process.argv.slice(2));
 * const p = new Pipeline(options);
 */
export class PipelineOptionsSpec<S extends OptionSpecs> {
  readonly specs: S & StandardOptionSpecs;

  constructor(specs: S) {
    for (const [name, spec] of Object.entries(specs)) {
      const standard = (standardOptions as OptionSpecs)[name];
      if (standard === undefined) continue;
      // A runner option (--streaming, --checkpointingInterval, ...) may be declared again, as
      // programs did before every program accepted them and as Beam lets several option
      // interfaces declare one getter: the declaration's description and default win, but its
      // type must be the runner's, which is what the job service parses the value as.
      if (!(name in runnerOptions)) {
        throw new OptionsError(`The option --${name} is a standard option; choose another name for yours.`);
      }
      if (spec.type !== standard.type) {
        throw new OptionsError(
          `The option --${name} is a runner option of type ${standard.type}, which every program accepts; ` +
            `your declaration makes it ${spec.type}. Remove your declaration, or declare it as ${standard.type}.`,
        );
      }
    }
    this.specs = { ...specs, ...standardOptions, ...redeclaredRunnerOptions(specs) };
  }

  /**
   * Parses `--name=value` (also `--name value`, `--flag` and `--no-flag` for booleans,
   * kebab-case names), then lets the selected runner check what it needs (`Runner.checkOptions`,
   * e.g. that `--tempLocation` is an existing directory). Throws OptionsError listing every
   * problem, or HelpRequested.
   */
  parse(argv: readonly string[]): ParsedOptions<S> {
    const specs = this.specs as OptionSpecs;
    const known = Object.keys(specs);
    const raw = new Map<string, string>();
    const problems: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (arg === "--help" || arg === "-h") throw new HelpRequested(this.help());
      if (!arg.startsWith("--")) {
        // Not echoed: a stray word may be a secret (`--apiKey= hunter2`, a pasted key).
        problems.push(`Argument ${i + 1} is not an option (its text is not shown); options look like --name=value.`);
        continue;
      }
      const eq = arg.indexOf("=");
      let name = kebabToCamel(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
      let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!(name in specs) && text === undefined && name.startsWith("no") && specs[lowerFirst(name.slice(2))]?.type === "boolean") {
        name = lowerFirst(name.slice(2));
        text = "false";
      }
      const spec = specs[name];
      if (spec === undefined) {
        // `--apiKye VALUE`: the misspelled flag's value may be a secret. Take the word after
        // an unknown flag as its value, so it is neither echoed nor reported on its own.
        const next = argv[i + 1];
        if (text === undefined && next !== undefined && !next.startsWith("--")) i++;
        problems.push(`Unknown option --${name}.${suggestion(name, known)}`);
        continue;
      }
      if (text === undefined) {
        const next = argv[i + 1];
        if (spec.type === "boolean") text = "true";
        else if (next !== undefined && !next.startsWith("--")) text = argv[++i] as string;
        else {
          problems.push(`--${name} needs a value: --${name}=<${spec.type}>.`);
          continue;
        }
      }
      if (raw.has(name)) problems.push(`--${name} is given more than once.`);
      raw.set(name, text);
    }
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(specs) as [string, OptionDef<unknown>][]) {
      const text = raw.get(name);
      if (text === undefined) {
        if (spec.required) problems.push(`--${name} is required: ${spec.description}.`);
        else values[name] = spec.default;
        continue;
      }
      try {
        values[name] = spec.parse(text);
      } catch (message) {
        // A secret's value must not reach logs, not even inside the parse error.
        problems.push(
          spec.secret
            ? `--${name}=****: not a valid ${spec.type} (the value is hidden because the option is secret).`
            : `--${name}=${text}: ${typeof message === "string" ? message : String(message)}.`,
        );
      }
    }
    // What the selected runner needs of options that parsed (an existing --tempLocation, ...);
    // skipped when --runner itself is invalid. Runners never see secret values.
    if (typeof values["runner"] === "string") problems.push(...runnerOptionProblems(redactOptions(values, this.secretNames())));
    if (problems.length > 0) {
      throw new OptionsError(`Invalid pipeline options:\n  ${problems.join("\n  ")}\nRun with --help to see every option.`);
    }
    return redactedView(values, this.secretNames()) as ParsedOptions<S>;
  }

  /**
   * For a program's entry point: parses `argv`; on --help prints the help and exits 0, on
   * invalid options prints the problems and exits 2.
   */
  parseOrExit(argv: readonly string[] = process.argv.slice(2), program?: string): ParsedOptions<S> {
    try {
      return this.parse(argv);
    } catch (err) {
      if (err instanceof HelpRequested) {
        process.stdout.write(`${this.help(program)}\n`);
        process.exit(0);
      }
      if (err instanceof OptionsError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
  }

  /** The --help text. */
  help(program = "pipeline"): string {
    return formatHelp(program, this.specs as OptionSpecs, Object.keys(standardOptions));
  }

  secretNames(): ReadonlySet<string> {
    return new Set(Object.entries(this.specs as OptionSpecs).filter(([, s]) => s.secret).map(([n]) => n));
  }
}

/** The runner options `specs` declares again (checked to have the runner's types). */
function redeclaredRunnerOptions(specs: OptionSpecs): OptionSpecs {
  return Object.fromEntries(Object.entries(specs).filter(([name]) => name in runnerOptions));
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Declares a pipeline program's options. */
export function defineOptions<S extends OptionSpecs>(specs: S): PipelineOptionsSpec<S> {
  return new PipelineOptionsSpec(specs);
}
