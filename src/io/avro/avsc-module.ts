import { AvroIOError, messageOf } from "./avro-io-error.js";

/** The avsc module (an optional peer dependency), as this folder uses it. */
export type Avsc = typeof import("avsc");
/** An avsc type: encodes and decodes values of one Avro schema. */
export type AvscType = import("avsc").Type;

let loading: Promise<Avsc> | undefined;

/**
 * Loads avsc on first use, so that beam-ts works without it for pipelines that read no
 * Avro. A missing package fails naming what to install.
 */
export function loadAvsc(): Promise<Avsc> {
  loading ??= import("avsc").then(
    (m: Avsc & { default?: Avsc }) => m.default ?? m,
    (err: unknown) => {
      loading = undefined;
      throw new AvroIOError(
        `Avro IO needs the package "avsc", which is not installed (${messageOf(err)}). Install it: npm install avsc@^5.7.9`,
        { cause: err },
      );
    },
  );
  return loading;
}

/**
 * An avsc type for an Avro schema, with `long` decoded as a bigint (exact, as the schema
 * module's int64) and logical types left to this folder's converters (avro-values.ts).
 * Unions of null and one type decode unwrapped; other unions as avsc's "auto" does.
 */
export function avscType(avsc: Avsc, schema: unknown): AvscType {
  const long = bigintLong(avsc);
  return avsc.Type.forSchema(schema as import("avsc").Schema, {
    registry: { long },
    wrapUnions: "auto",
    // `{ "type": "long", "logicalType": ... }` is built without the registry: bigint too.
    typeHook: (s: unknown) => (typeof s === "object" && s !== null && (s as { type?: unknown }).type === "long" ? long : undefined),
  });
}

let longType: AvscType | undefined;

function bigintLong(avsc: Avsc): AvscType {
  longType ??= avsc.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(n);
      return buf;
    },
    fromJSON: (n: unknown) => BigInt(n as number),
    toJSON: (n: bigint) => Number(n),
    isValid: (n: unknown) => typeof n === "bigint" && n >= -(2n ** 63n) && n < 2n ** 63n,
    compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
  });
  return longType;
}
