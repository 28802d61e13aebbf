import type { PCollection } from "../pipeline/index.js";
import type { SqlRow } from "./sql-transform.js";

/*
 * The static row type of `sql(query, inputs)`, read from the query's text at compile time
 * (issue #18). Types only: nothing here exists at run time.
 *
 * It reads one shape, `SELECT [DISTINCT] item, ... FROM input [[AS] alias] [WHERE ...]
 * [GROUP BY ...] [HAVING ...] [ORDER BY ...] [LIMIT n]`, whose items are `*`, `alias.*`,
 * columns (`col`, `alias.col`, `` `col` ``, `"col"`), COUNT(*), COUNT([DISTINCT] col),
 * MIN(col) and MAX(col), each with or without `[AS] name`. Everything else (a join, a
 * subquery, a set operation, any other expression) gives SqlRow: this type must never
 * disagree with the rows the planner (plan-query.ts) gives, so it reads only what it can
 * read exactly and mirrors the planner's rules:
 * - an output column is named by its alias, else by the column as the query spells it
 *   (without qualifier or quotes), else `EXPR$i` for the i-th item (Calcite);
 * - a column resolves to the input field of that exact name, else to the one field whose
 *   name matches ignoring case (the planner refuses two), quoted or not;
 * - an input resolves by its exact name, else by the one name that matches ignoring case;
 * - a column keeps its input field's type, COUNT is BIGINT (a bigint, never null), MIN and
 *   MAX are the column's type or null (a global aggregate over no rows gives NULL);
 * - a repeated output name (which the planner renames `x0`, `x1`) gives SqlRow.
 * Words are compared ignoring case; any run of whitespace separates them.
 */

/** Whitespace as single spaces, so the query splits into words at spaces. */
type Spaced<S extends string> = S extends `${infer A}\n${infer B}`
  ? Spaced<`${A} ${B}`>
  : S extends `${infer A}\t${infer B}`
    ? Spaced<`${A} ${B}`>
    : S extends `${infer A}\r${infer B}`
      ? Spaced<`${A} ${B}`>
      : S;

/** The words of `S` between spaces, empty ones dropped. */
type Words<S extends string, Acc extends string[] = []> = S extends `${infer W} ${infer Rest}`
  ? Words<Rest, W extends "" ? Acc : [...Acc, W]>
  : S extends ""
    ? Acc
    : [...Acc, S];

type Join<W extends string[], Acc extends string = ""> = W extends [infer F extends string, ...infer R extends string[]] ? Join<R, Acc extends "" ? F : `${Acc} ${F}`> : Acc;

type Split<S extends string, Sep extends string, Acc extends string[] = []> = S extends `${infer A}${Sep}${infer B}` ? Split<B, Sep, [...Acc, A]> : [...Acc, S];

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S;

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
type IdentChar = "_" | Digit | Lowercase<Letter> | Letter;
type Letter = "A" | "B" | "C" | "D" | "E" | "F" | "G" | "H" | "I" | "J" | "K" | "L" | "M" | "N" | "O" | "P" | "Q" | "R" | "S" | "T" | "U" | "V" | "W" | "X" | "Y" | "Z";

/** Whether S is made of letters, digits and underscores only (the names this type reads). */
type IsWord<S extends string> = S extends "" ? false : S extends `${infer C}${infer R}` ? (C extends IdentChar ? (R extends "" ? true : IsWord<R>) : false) : false;

/** Words that end a FROM item or start another clause: never an alias. */
type Keyword = "SELECT" | "FROM" | "WHERE" | "GROUP" | "HAVING" | "ORDER" | "LIMIT" | "OFFSET" | "AS" | "ON" | "JOIN" | "INNER" | "LEFT" | "RIGHT" | "FULL" | "CROSS" | "NATURAL" | "UNION" | "INTERSECT" | "EXCEPT" | "MINUS" | "DISTINCT" | "ALL" | "BY";

/** A name as the planner spells it: a word, or a word in backticks or double quotes (Calcite's quoted identifiers); never otherwise. */
type Name<S extends string> = S extends `\`${infer N}\``
  ? Quoted<N>
  : S extends `"${infer N}"`
    ? Quoted<N>
    : IsWord<S> extends true
      ? S extends `${Digit}${string}`
        ? never // a number, not a name: SELECT 1 is EXPR$0
        : Uppercase<S> extends Keyword
          ? never
          : S
      : never;

type Quoted<N extends string> = IsWord<N> extends true ? N : never;

/** A column reference `col` or `qualifier.col`: the column's name as written. */
type ColumnRef<S extends string> = [Name<S>] extends [never] ? (S extends `${infer Q}.${infer C}` ? ([Name<Q>] extends [never] ? never : Name<C>) : never) : Name<S>;

/** What a select item reads. */
type Item = { readonly kind: "column"; readonly column: string } | { readonly kind: "count" } | { readonly kind: "minmax"; readonly column: string } | { readonly kind: "star" };

/** An aggregate call `F(arg)` this type reads, or never. */
type Aggregate<S extends string> = S extends `${infer F}(${infer Arg})`
  ? Uppercase<Trim<F>> extends "COUNT"
    ? Trim<Arg> extends "*"
      ? { kind: "count" }
      : Words<Arg> extends [infer D extends string, infer C extends string]
        ? Uppercase<D> extends "DISTINCT"
          ? [ColumnRef<C>] extends [never]
            ? never
            : { kind: "count" }
          : never
        : [ColumnRef<Trim<Arg>>] extends [never]
          ? never
          : { kind: "count" }
    : Uppercase<Trim<F>> extends "MIN" | "MAX"
      ? [ColumnRef<Trim<Arg>>] extends [never]
        ? never
        : { kind: "minmax"; column: ColumnRef<Trim<Arg>> }
      : never
  : never;

/** An expression this type reads, or never. */
type Expression<S extends string> = [ColumnRef<S>] extends [never] ? Aggregate<S> : { kind: "column"; column: ColumnRef<S> };

/** An output column: its name (undefined until named by position) and what it reads. */
type Output = readonly [name: string | undefined, item: Item];

/** A select item `expr`, `expr AS name` or `expr name`, or `*`, `alias.*`. */
type SelectItem<S extends string, W extends string[] = Words<S>> = S extends "*"
  ? [undefined, { kind: "star" }]
  : S extends `${infer Q}.*`
    ? [Name<Q>] extends [never]
      ? never
      : [undefined, { kind: "star" }]
    : W extends [...infer E extends string[], infer As extends string, infer A extends string]
      ? Uppercase<As> extends "AS"
        ? Named<Name<A>, Expression<Join<E>>>
        : Unaliased<S, W>
      : Unaliased<S, W>;

type Unaliased<S extends string, W extends string[]> = [Expression<S>] extends [never]
  ? W extends [...infer E extends string[], infer A extends string]
    ? E extends []
      ? never
      : Named<Name<A>, Expression<Join<E>>>
    : never
  : [Expression<S> extends { kind: "column"; column: infer C } ? C : undefined, Expression<S>];

type Named<N extends string, E> = [N] extends [never] ? never : [E] extends [never] ? never : [N, E];

/** The select items, or never if one is not read. */
type SelectItems<Parts extends string[], Acc extends Output[] = []> = Parts extends [infer P extends string, ...infer R extends string[]]
  ? SelectItem<Trim<P>> extends infer O extends Output
    ? [O] extends [never]
      ? never
      : SelectItems<R, [...Acc, O]>
    : never
  : Acc;

/** The words before the first FROM and the words after it. */
type AtFrom<W extends string[], Before extends string[] = []> = W extends [infer F extends string, ...infer R extends string[]]
  ? Uppercase<F> extends "FROM"
    ? [Before, R]
    : AtFrom<R, [...Before, F]>
  : never;

/** Text that makes the rest of the query more than one SELECT over one input, wherever it is in a word (`x)UNION(SELECT`). */
type Compound = `${string}${"UNION" | "INTERSECT" | "EXCEPT" | "MINUS" | "JOIN" | "SELECT"}${string}`;

/** Whether the words after the FROM item start a clause and hold no set operation, join or subquery. */
type PlainClauses<W extends string[]> = W extends []
  ? true
  : W extends [infer F extends string, ...string[]]
    ? Uppercase<F> extends "WHERE" | "GROUP" | "HAVING" | "ORDER" | "LIMIT"
      ? [Extract<Uppercase<W[number]>, Compound>] extends [never]
        ? true
        : false
      : false
    : false;

/** The input a FROM item names, if it is `name [[AS] alias]` followed by plain clauses. */
type FromInput<W extends string[]> = W extends [infer N extends string, ...infer R extends string[]]
  ? [Name<N>] extends [never]
    ? never
    : PlainClauses<R> extends true
      ? Name<N>
      : R extends [infer As extends string, infer A extends string, ...infer R2 extends string[]]
        ? Uppercase<As> extends "AS"
          ? [Name<A>] extends [never]
            ? never
            : PlainClauses<R2> extends true
              ? Name<N>
              : never
          : AliasThenClauses<N, R>
        : AliasThenClauses<N, R>
  : never;

type AliasThenClauses<N extends string, R extends string[]> = R extends [infer A extends string, ...infer R2 extends string[]]
  ? [Name<A>] extends [never]
    ? never
    : PlainClauses<R2> extends true
      ? Name<N>
      : never
  : never;

/** A parsed query: the input it reads and its output columns. */
type Parsed<Q extends string> =
  Words<Spaced<Q>> extends [infer S extends string, ...infer R extends string[]]
    ? Uppercase<S> extends "SELECT"
      ? AtFrom<R extends [infer D extends string, ...infer R2 extends string[]] ? (Uppercase<D> extends "DISTINCT" ? R2 : R) : R> extends [infer Items extends string[], infer From extends string[]]
        ? ParsedOf<FromInput<From>, SelectItems<Split<Join<Items>, ",">>>
        : never
      : never
    : never;

type ParsedOf<I extends string, O extends Output[]> = [I] extends [never] ? never : [O] extends [never] ? never : { input: I; outputs: O };

/** The key of `K` in `Keys`: exactly, else the only one equal ignoring case. */
type Resolve<Keys extends string, K extends string> = K extends Keys ? K : LooseMatch<Keys, K> extends infer M extends string ? (IsSingle<M> extends true ? M : never) : never;
type LooseMatch<Keys extends string, K extends string> = Keys extends unknown ? (Lowercase<Keys> extends Lowercase<K> ? Keys : never) : never;
type IsSingle<U, All = U> = [U] extends [never] ? false : U extends unknown ? ([All] extends [U] ? true : false) : never;

/** Row types this type reads: objects with known, required keys (no index signature). */
type KnownRow<T> = [T] extends [never]
  ? false
  : [T] extends [object]
    ? string extends keyof T
      ? false
      : [OptionalKeys<T>] extends [never]
        ? true
        : false
    : false;

type OptionalKeys<T> = { [K in keyof T]-?: Partial<Pick<T, K>> extends Pick<T, K> ? K : never }[keyof T];

type RowKeys<T> = keyof T & string;

/** The name of each output column; never if one is repeated (the planner would rename it). */
type OutputNames<O extends Output[], T, Seen extends string = never, Acc extends string[] = []> = O extends [infer F extends Output, ...infer R extends Output[]]
  ? F[1] extends { kind: "star" }
    ? [Extract<RowKeys<T>, Seen>] extends [never]
      ? OutputNames<R, T, Seen | RowKeys<T>, [...Acc, "*"]>
      : never
    : (F[0] extends string ? F[0] : "*" extends Acc[number] ? never : `EXPR$${Acc["length"]}`) extends infer N extends string
      ? [N] extends [never]
        ? never
        : N extends Seen
          ? never
          : OutputNames<R, T, Seen | N, [...Acc, N]>
      : never
  : Acc;

/** The type of an output column over rows `T`, never if a column does not resolve. */
type ColumnType<I extends Item, T> = I extends { kind: "count" }
  ? bigint
  : I extends { kind: "column"; column: infer C extends string }
    ? Resolve<RowKeys<T>, C> extends infer K extends keyof T
      ? [K] extends [never]
        ? never
        : T[K]
      : never
    : I extends { kind: "minmax"; column: infer C extends string }
      ? Resolve<RowKeys<T>, C> extends infer K extends keyof T
        ? [K] extends [never]
          ? never
          : T[K] | null
        : never
      : never;

/** Whether every non-star column resolves. */
type AllResolve<O extends Output[], T> = O extends [infer F extends Output, ...infer R extends Output[]] ? (F[1] extends { kind: "star" } ? AllResolve<R, T> : [ColumnType<F[1], T>] extends [never] ? false : AllResolve<R, T>) : true;

type Flatten<R> = { readonly [K in keyof R]: R[K] };

type RowOfOutputs<O extends Output[], N extends string[], T> = Flatten<
  ("*" extends N[number] ? { readonly [K in RowKeys<T>]: T[K] } : unknown) & {
    readonly [I in keyof O & `${number}` as N[I & keyof N] extends "*" ? never : N[I & keyof N] & string]: ColumnType<O[I][1], T>;
  }
>;

type ElementOf<P> = P extends PCollection<infer T> ? T : never;

type RowOver<P, T> = [P] extends [{ input: string; outputs: infer O extends Output[] }]
  ? KnownRow<T> extends true
    ? AllResolve<O, T> extends true
      ? OutputNames<O, T> extends infer N extends string[]
        ? [N] extends [never]
          ? SqlRow
          : RowOfOutputs<O, N, T>
        : SqlRow
      : SqlRow
    : SqlRow
  : SqlRow;

/**
 * The static row type of `sql(Q, inputs)` over inputs of type `In`: the output columns with
 * their inputs' field types for the shapes above, SqlRow for every other query (and for a
 * query that is only known to be a `string`).
 *
 * @example
 * // orders: PCollection<{ readonly id: bigint; readonly customer: string; readonly qty: number | null }>
 * type R = SqlOutputRow<"SELECT customer, COUNT(*) AS n, MAX(qty) FROM orders GROUP BY customer", { orders: typeof orders }>;
 * // { readonly customer: string; readonly n: bigint; readonly EXPR$2: number | null }
 */
export type SqlOutputRow<Q extends string, In> = Q extends unknown // a union of queries gives the union of their rows
  ? IsLiteral<Q> extends true
    ? string extends keyof In
      ? SqlRow
      : RowOfQuery<Parsed<Q>, In>
    : SqlRow
  : never;

/** Whether Q is one known text: not `string`, nor a template with holes such as `SELECT ${string} FROM t`. */
type IsLiteral<Q extends string> = Record<never, never> extends Record<Q, true> ? false : true; // a pattern's Record has an index signature, which the empty object satisfies

type RowOfQuery<P, In> = [P] extends [never]
  ? SqlRow
  : [P] extends [{ input: infer I extends string }]
    ? Resolve<keyof In & string, I> extends infer K extends keyof In
      ? [K] extends [never]
        ? SqlRow
        : RowOver<P, ElementOf<In[K]>>
      : SqlRow
    : SqlRow;
