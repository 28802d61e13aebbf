import type { ByteReader, ByteWriter, Coder } from "../../model/index.js";
import { BeamError, UserCodeError, describeValue, messageOf } from "../../model/index.js";
import { migrationSlot, type StateMigration } from "../../pipeline/index.js";
import type { StateSpec } from "../../transforms/index.js";
import { stateCellCodec, type StateCellCodec } from "./state-cell-codec.js";

/**
 * Reading state a checkpoint wrote with the old coder of a declared migration
 * (Pipeline.migrateState): each value is decoded with `from` and converted by `migrate`,
 * so the restored step holds values of its current coder. Only read: the next checkpoint
 * writes with the current coders.
 */

/** The migration declared for `slot` among a step's migrations; a missing one is an internal error (the restore plan checked). */
export function migrationFor(step: string, migrations: readonly StateMigration[] | undefined, slot: string): StateMigration {
  const m = migrations?.find((x) => migrationSlot(x) === slot);
  if (m === undefined) throw new BeamError("CHECKPOINT_RESTORE", `internal error: the restore of step "${step}" migrates ${slot}, for which the pipeline declares no migration.`);
  return m;
}

/** Runs a migration on one value; a throw names the step, the state and the value. */
export function migrateValue(step: string, where: string, m: StateMigration, old: unknown): unknown {
  try {
    return m.migrate(old);
  } catch (err) {
    throw new UserCodeError(
      step,
      describeValue(old),
      undefined,
      `Migrating the ${where} of step "${step}" failed for the value ${describeValue(old)}: ${messageOf(err)}. ` +
        `Fix the migrate function of p.migrateState("${step}", ...), or restore from another checkpoint.`,
      { cause: err },
    );
  }
}

/**
 * A coder that reads values written with `m.from` and returns them migrated (for a
 * GroupByKey's values or a Combine's accumulators). It cannot encode: restore only reads.
 */
export function migratingCoder<T>(step: string, where: string, m: StateMigration): Coder<T> {
  return {
    urn: "beam-ts:coder:state-migration",
    components: [m.from],
    deterministic: false,
    encode(_value: T, _writer: ByteWriter): void {
      throw new BeamError("CHECKPOINT_RESTORE", `internal error: the migrating coder of step "${step}" only reads.`);
    },
    decode(reader: ByteReader, nested: boolean): T {
      return migrateValue(step, where, m, m.from.decode(reader, nested)) as T;
    },
    toString: () => `migrate(${m.from.toString()})`,
  };
}

/**
 * Reads a state cell written with the migration's old coder and converts it: a value cell's
 * value, a combining cell's accumulator, each element of a bag, set or ordered list, each
 * value of a map.
 */
export function migratingCellCodec(step: string, name: string, spec: StateSpec<unknown>, m: StateMigration): StateCellCodec {
  const where = `state cell "${name}"`;
  const one = (old: unknown) => migrateValue(step, where, m, old);
  let oldSpec: StateSpec<unknown>;
  switch (spec.kind) {
    case "combining":
      oldSpec = { ...spec, combineFn: { ...spec.combineFn, accumulatorCoder: m.from } };
      break;
    case "map":
      oldSpec = { ...spec, valueCoder: m.from };
      break;
    default:
      oldSpec = { ...spec, coder: m.from };
  }
  const old = stateCellCodec(oldSpec);
  const convert = (content: unknown): unknown => {
    switch (spec.kind) {
      case "value":
      case "combining":
        return one(content);
      case "bag":
        return (content as unknown[]).map(one);
      case "set":
        return new Set([...(content as Set<unknown>)].map(one));
      case "map":
        return new Map([...(content as Map<unknown, unknown>)].map(([k, v]) => [k, one(v)]));
      case "orderedList":
        return (content as { value: unknown; timestamp: number }[]).map(({ value, timestamp }) => ({ value: one(value), timestamp }));
    }
  };
  return {
    write: () => {
      throw new BeamError("CHECKPOINT_RESTORE", `internal error: the migrating codec of step "${step}" only reads.`);
    },
    read: (input) => convert(old.read(input)),
  };
}
