import type { RowSchema } from "../../model/index.js";
import { ConstructionError } from "../../model/index.js";
import type { PCollection } from "../../pipeline/index.js";
import type { ParDoTransform } from "../par-do.js";
import { castPlan, castRow } from "./cast-rules.js";
import { RowParDo } from "./row-par-do.js";
import { inputSchema } from "./schema-input.js";

/** Options of `cast`. */
export interface CastOptions {
  /**
   * Allow casts that may lose values (int64 to int32, double to int32, nullable to non-null):
   * each value is then checked, and one that does not fit fails its element with a CastError
   * (a dead letter under `.withExceptionHandling()`). Default false: refused at construction.
   */
  readonly allowLossy?: boolean;
}

/**
 * Beam's Cast: casts every row to a target schema with the same field names (Java's
 * Cast.widening, or Cast.narrowing with `allowLossy`). Widening casts keep every value: a
 * smaller integer to a larger one, float to double, an integer to a decimal, int32 or
 * smaller to double, a field made nullable; nested rows, arrays and maps are cast inside. A
 * cast that may lose values is refused at construction, listing each field, unless
 * `allowLossy`; a cast between unrelated types (string to int64) is always refused.
 *
 * @example
 * const Wide = schema({ id: t.int64(), amount: t.double().nullable() });
 * const wide = narrow.apply(cast(Wide)); // PCollection<RowOf<typeof Wide>>
 * const { output, failures } = wide.apply(cast(Narrow, { allowLossy: true }).withExceptionHandling());
 */
export function cast<R, T>(target: RowSchema<T>, options: CastOptions = {}): ParDoTransform<R, PCollection<T>> {
  const label = `Cast(${target.name})`;
  return new RowParDo<R, T>(label, "Cast", (input) => {
    const from = inputSchema(input, label);
    const plan = castPlan(from, target.schema);
    if (plan.impossible.length > 0) {
      throw new ConstructionError(`${label}: no cast to the target schema: ${plan.impossible.join("; ")}.`);
    }
    if (plan.lossy.length > 0 && options.allowLossy !== true) {
      throw new ConstructionError(
        `${label}: the cast may lose values: ${plan.lossy.join("; ")}. Pass { allowLossy: true } to cast anyway; each value is then checked and one that does not fit fails (use .withExceptionHandling() to keep those as dead letters).`,
      );
    }
    return { fn: (row: R) => castRow(from, target.schema, row, target.name) as T, schema: target.schema, name: target.name };
  });
}
