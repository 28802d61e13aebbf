import { OptionsError, Secret } from "../../model/index.js";

/** How one option is parsed, described and shown. */
export interface OptionDef<T> {
  readonly type: string;
  readonly description: string;
  readonly default: T | undefined;
  readonly required: boolean;
  /** A secret option's value (and default) is a Secret: "****" wherever it is shown. */
  readonly secret: boolean;
  /**
   * Parses the text after `--name=` (into a Secret for a secret option); throws a message
   * (string) when the text is invalid.
   */
  parse(text: string): T;
}

interface Common {
  readonly description: string;
}

type WithDefault<T> = Common & { readonly default: T };
type Required = Common & { readonly required: true };
/** `secret: true`: the option's value is a Secret, so its type says it must be revealed. */
type IsSecret = { readonly secret: true };
type NotSecret = { readonly secret?: false };

/** The overloads of a builder of T options: with a default or required, or not; secret or not. */
type Builder<T, Extra = unknown> = {
  (o: (WithDefault<T> | Required) & Extra & IsSecret): OptionDef<Secret<T>>;
  (o: Common & Extra & IsSecret): OptionDef<Secret<T> | undefined>;
  (o: (WithDefault<T> | Required) & Extra & NotSecret): OptionDef<T>;
  (o: Common & Extra & NotSecret): OptionDef<T | undefined>;
};

function def<T>(
  type: string,
  o: Common & { default?: T; required?: boolean; secret?: boolean },
  parse: (text: string) => T,
): OptionDef<never> {
  // A secret's value is wrapped where it is made, so no copy of the options (a spread, a
  // structured clone, an element) ever holds it bare.
  const secret = o.secret === true;
  return {
    type,
    description: o.description,
    default: secret && o.default !== undefined ? new Secret(o.default) : o.default,
    required: o.required === true,
    secret,
    parse: secret ? (text: string) => new Secret(parse(text)) : parse,
  } as OptionDef<never>;
}

function parseNumber(text: string, integer: boolean, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw `expected a number, got "${text}"`;
  if (integer && !Number.isInteger(n)) throw `expected a whole number, got "${text}"`;
  if (n < min || n > max) throw `expected a number between ${min} and ${max}, got ${n}`;
  return n;
}

type Range = { readonly min?: number; readonly max?: number };

/**
 * Builders for option definitions. An option with a default (or required) has a
 * non-optional type; others may be undefined. A `secret: true` option's value is a
 * `Secret` (`Secret<string>`, `Secret<number>`, ...): it prints as "****" and is read
 * with `reveal()`. Flags (booleans) cannot be secret.
 *
 * @example
 * const Options = defineOptions({
 *   input: option.string({ description: "Files to read (glob)", default: "data/*.txt" }),
 *   apiKey: option.string({ description: "Service key", secret: true }), // Secret<string> | undefined
 *   mode: option.choice(["fast", "exact"], { description: "Algorithm", default: "fast" }), // "fast" | "exact"
 * });
 * const options = Options.parse(process.argv.slice(2));
 * const headers = { authorization: `Bearer ${options.apiKey?.reveal() ?? ""}` }; // the one deliberate read
 */
export const option = {
  string: ((o: Common & { default?: string; required?: boolean }) => def("string", o, (t) => t)) as Builder<string>,
  integer: ((o: Common & { default?: number; required?: boolean } & Range) =>
    def("integer", o, (t) => parseNumber(t, true, o.min ?? -Infinity, o.max ?? Infinity))) as Builder<number, Range>,
  number: ((o: Common & { default?: number; required?: boolean } & Range) =>
    def("number", o, (t) => parseNumber(t, false, o.min ?? -Infinity, o.max ?? Infinity))) as Builder<number, Range>,
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
    <const C extends string>(choices: readonly C[], o: (WithDefault<NoInfer<C>> | Required) & IsSecret): OptionDef<Secret<C>>;
    <const C extends string>(choices: readonly C[], o: Common & IsSecret): OptionDef<Secret<C> | undefined>;
    <const C extends string>(choices: readonly C[], o: (WithDefault<NoInfer<C>> | Required) & NotSecret): OptionDef<C>;
    <const C extends string>(choices: readonly C[], o: Common & NotSecret): OptionDef<C | undefined>;
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
