import type { Instant, ValueWithTimestamp } from "../../model/index.js";
import type {
  BagState,
  CombineFn,
  CombiningState,
  MapState,
  OrderedListState,
  SetState,
  StateSpec,
  StateSpecMap,
  ValueState,
} from "../../transforms/index.js";
import type { StateEntry, StateTable } from "./state-table.js";

const same = (x: unknown) => x;
const copyArray = (x: unknown) => (x as unknown[]).slice();
const copyMap = (x: unknown) => new Map(x as Map<unknown, unknown>);
const copySet = (x: unknown) => new Set(x as Set<unknown>);

/** Builds the accessor object a stateful DoFn sees for one key and window. */
export function stateAccessors(specs: StateSpecMap, table: StateTable, e: StateEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = accessor(spec, name, table, e);
  return out;
}

function accessor(spec: StateSpec<unknown>, name: string, table: StateTable, e: StateEntry): unknown {
  const cells = e.cells;
  /** A `clear()` that journals the cell (copied with `copy`) and drops it. */
  const clearWith = (copy: (x: unknown) => unknown) => () => {
    table.beforeChange(e, name, copy);
    cells.delete(name);
  };
  switch (spec.kind) {
    case "value": {
      const s: ValueState<unknown> = {
        read: () => cells.get(name),
        write(v) {
          table.beforeChange(e, name, same);
          cells.set(name, v);
        },
        clear: clearWith(same),
        readLater: () => s,
      };
      return s;
    }
    case "bag": {
      const list = () => (cells.get(name) as unknown[] | undefined) ?? [];
      const s: BagState<unknown> = {
        read: () => list().slice(),
        add(v) {
          table.beforeChange(e, name, copyArray);
          const l = cells.get(name) as unknown[] | undefined;
          if (l === undefined) cells.set(name, [v]);
          else l.push(v);
        },
        isEmpty: () => list().length === 0,
        clear: clearWith(copyArray),
        readLater: () => s,
      };
      return s;
    }
    case "combining":
      return combining(spec.combineFn, name, table, e);
    case "map": {
      const map = () => (cells.get(name) as Map<unknown, unknown> | undefined) ?? new Map<unknown, unknown>();
      const writable = () => {
        table.beforeChange(e, name, copyMap);
        let m = cells.get(name) as Map<unknown, unknown> | undefined;
        if (m === undefined) cells.set(name, (m = new Map()));
        return m;
      };
      const s: MapState<unknown, unknown> = {
        get: (k) => map().get(k),
        put: (k, v) => void writable().set(k, v),
        putIfAbsent(k, v) {
          const current = map();
          if (current.has(k)) return current.get(k);
          writable().set(k, v);
          return v;
        },
        remove: (k) => void writable().delete(k),
        keys: () => [...map().keys()],
        values: () => [...map().values()],
        entries: () => [...map().entries()],
        isEmpty: () => map().size === 0,
        clear: clearWith(copyMap),
        readLater: () => s,
      };
      return s;
    }
    case "set": {
      const set = () => (cells.get(name) as Set<unknown> | undefined) ?? new Set<unknown>();
      const s: SetState<unknown> = {
        has: (v) => set().has(v),
        add(v) {
          if (set().has(v)) return false;
          table.beforeChange(e, name, copySet);
          let st = cells.get(name) as Set<unknown> | undefined;
          if (st === undefined) cells.set(name, (st = new Set()));
          st.add(v);
          return true;
        },
        remove(v) {
          if (!set().has(v)) return;
          table.beforeChange(e, name, copySet);
          (cells.get(name) as Set<unknown>).delete(v);
        },
        read: () => [...set()],
        isEmpty: () => set().size === 0,
        clear: clearWith(copySet),
        readLater: () => s,
      };
      return s;
    }
    case "orderedList":
      return orderedList(name, table, e);
  }
}

function combining(fn: CombineFn<unknown, unknown, unknown>, name: string, table: StateTable, e: StateEntry): CombiningState<unknown, unknown> {
  const cells = e.cells;
  // A copy of an accumulator that the CombineFn may then mutate: merged into a fresh one
  // (mergeAccumulators may only change its first argument).
  const copy = (acc: unknown) => fn.mergeAccumulators([fn.createAccumulator(), acc]);
  const s: CombiningState<unknown, unknown> = {
    read: () => fn.extractOutput(cells.has(name) ? cells.get(name) : fn.createAccumulator()),
    add(v) {
      table.beforeChange(e, name, copy);
      cells.set(name, fn.addInput(cells.has(name) ? cells.get(name) : fn.createAccumulator(), v));
    },
    isEmpty: () => !cells.has(name),
    clear() {
      table.beforeChange(e, name, same);
      cells.delete(name);
    },
    readLater: () => s,
  };
  return s;
}

function orderedList(name: string, table: StateTable, e: StateEntry): OrderedListState<unknown> {
  const cells = e.cells;
  const list = () => (cells.get(name) as ValueWithTimestamp<unknown>[] | undefined) ?? [];
  /** First index whose timestamp is >= t (the list is sorted by timestamp, stable). */
  const lowerBound = (l: readonly ValueWithTimestamp<unknown>[], t: Instant) => {
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid]!.timestamp < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const s: OrderedListState<unknown> = {
    add(value, sortKey) {
      table.beforeChange(e, name, copyArray);
      let l = cells.get(name) as ValueWithTimestamp<unknown>[] | undefined;
      if (l === undefined) cells.set(name, (l = []));
      // After equal timestamps, so values with one sort key keep their insertion order.
      let i = lowerBound(l, sortKey);
      while (i < l.length && l[i]!.timestamp <= sortKey) i++;
      l.splice(i, 0, { value, timestamp: sortKey });
    },
    read: () => list().slice(),
    readRange(from, to) {
      const l = list();
      return l.slice(lowerBound(l, from), lowerBound(l, to));
    },
    clearRange(from, to) {
      table.beforeChange(e, name, copyArray);
      const l = cells.get(name) as ValueWithTimestamp<unknown>[] | undefined;
      if (l === undefined) return;
      l.splice(lowerBound(l, from), lowerBound(l, to) - lowerBound(l, from));
      if (l.length === 0) cells.delete(name);
    },
    isEmpty: () => list().length === 0,
    clear() {
      table.beforeChange(e, name, copyArray);
      cells.delete(name);
    },
    readLater: () => s,
  };
  return s;
}
