import { OptionsError } from "../../model/index.js";

/** How one option is parsed, described and shown. */
export interface OptionDef<T> {
  readonly type: string;
  readonly description: string;
  readonly default: T | undefined;
  readonly required: boolean;
  /** Secret values are printed as "****" wherever options are shown. */
  readonly secret: boolean;
  /** Parses the text after `--name=`; throws a message (string) when the text is invalid. */
  parse(text: string): T;
}

interface Common {
  readonly description: string;
  readonly secret?: boolean;
}

type WithDefault<T> = Common & { readonly default: T };
type Required = Common & { readonly required: true };

function def<T>(type: string, o: Common & { default?: T; required?: boolean }, parse: (text: string) => T): OptionDef<never> {
  return {
    type,
    description: o.description,
    default: o.default,
    required: o.required === true,
    secret: o.secret === true,
    parse,
  } as OptionDef<never>;
}

function parseNumber(text: string, integer: boolean, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw `expected a number, got "${text}"`;
  if (integer && !Number.isInteger(n)) throw `expected a whole number, got "${text}"`;
  if (n < min || n > max) throw `expected a number between ${min} and ${max}, got ${n}`;
  return n;
}

/**
 * Builders for option definitions. An option with a default (or required) has a
 * non-optional type; others may be undefined.
 *
 * @example
 * const Options = defineOptions({
 *   input: option.string({ description: "Files to read (glob)", default: "data/*.txt" }),
 *   apiKey: option.string({ description: "Service key", secret: true }),
 *   mode: option.choice(["fast", "exact"], { description: "Algorithm", default: "fast" }), // "fast" | "exact"
 * });
 */
export const option = {
  string: ((o: Common & { default?: string; required?: boolean }) => def("string", o, (t) => t)) as {
    (o: WithDefault<string> | Required): OptionDef<string>;
    (o: Common): OptionDef<string | undefined>;
  },
  integer: ((o: Common & { default?: number; required?: boolean; min?: number; max?: number }) =>
    def("integer", o, (t) => parseNumber(t, true, o.min ?? -Infinity, o.max ?? Infinity))) as {
    (o: (WithDefault<number> | Required) & { min?: number; max?: number }): OptionDef<number>;
    (o: Common & { min?: number; max?: number }): OptionDef<number | undefined>;
  },
  number: ((o: Common & { default?: number; required?: boolean; min?: number; max?: number }) =>
    def("number", o, (t) => parseNumber(t, false, o.min ?? -Infinity, o.max ?? Infinity))) as {
    (o: (WithDefault<number> | Required) & { min?: number; max?: number }): OptionDef<number>;
    (o: Common & { min?: number; max?: number }): OptionDef<number | undefined>;
  },
  boolean: (o: Common & { default?: boolean }): OptionDef<boolean> =>
    def("boolean", { ...o, default: o.default ?? false }, (t) => {
      if (t === "true" || t === "") return true;
      if (t === "false") return false;
      throw `expected true or false, got "${t}"`;
    }),
  // `const C`: the choices keep their literal types without `as const`; NoInfer: a default
  // outside them is an error rather than a reason to widen C to string.
  choice: (<C extends string>(choices: readonly C[], o: Common & { default?: C; required?: boolean }) =>
    def(choices.join("|"), o, (t) => {
      if ((choices as readonly string[]).includes(t)) return t as C;
      throw `expected one of ${choices.join(", ")}, got "${t}"`;
    })) as {
    <const C extends string>(choices: readonly C[], o: WithDefault<NoInfer<C>> | Required): OptionDef<C>;
    <const C extends string>(choices: readonly C[], o: Common): OptionDef<C | undefined>;
  },
};

/** A set of option definitions, keyed by option name (camelCase). */
export type OptionSpecs = Record<string, OptionDef<unknown>>;

/** The parsed values of a set of option definitions. */
export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S]: S[K] extends OptionDef<infer T> ? T : never };

/** Raised for `--help`: carries the help text, which the caller prints. */
export class HelpRequested extends OptionsError {
  constructor(readonly help: string) {
    super("Help was requested with --help.");
  }
}
