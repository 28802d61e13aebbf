import type { BoundedWindow, Coder, ValueWithTimestamp } from "../model/index.js";
import { UnsupportedFeatureError } from "../model/index.js";
import { BufferReader, BufferWriter, CoderUrns, boolCoder, lengthPrefixCoder, varIntCoder } from "../coders/index.js";
import { StateTable, stateAccessors, type StateEntry } from "../runtime/index.js";
import type { StateSpec, StateSpecMap } from "../transforms/index.js";
import type { StateKey } from "../proto/org/apache/beam/model/fn_execution/v1/beam_fn_api.js";
import type { StateSpec as ProtoStateSpec } from "../proto/org/apache/beam/model/pipeline/v1/beam_runner_api.js";

/** The user-state requests of one bundle (its instruction id is bound in). */
export interface UserStateClient {
  /** All bytes of a state key (continuation tokens followed). */
  get(key: StateKey): Promise<Uint8Array>;
  append(key: StateKey, data: Uint8Array): Promise<void>;
  clear(key: StateKey): Promise<void>;
}

/** How a declared state cell is kept by the runner: Beam's user-state protocols. */
export type UserStateProtocol = "bag" | "multimap" | "orderedList";

/** One declared state cell of a stateful ParDo, as the descriptor describes it. */
export interface UserStateCell {
  readonly id: string;
  readonly spec: StateSpec<unknown>;
  readonly protocol: UserStateProtocol;
  /** Values, bag elements, accumulators, map values, ordered-list values (length-prefixed). */
  readonly valueCoder: Coder<unknown>;
  /** Map keys and set elements (the multimap's map keys). */
  readonly keyCoder: Coder<unknown> | undefined;
}

const PROTOCOLS: Readonly<Record<string, UserStateProtocol>> = {
  "beam:user_state:bag:v1": "bag",
  "beam:user_state:multimap:v1": "multimap",
  "beam:user_state:ordered_list:v1": "orderedList",
};

/** Which protocols each kind of state can be kept with (Beam's conventions). */
const ALLOWED: Readonly<Record<StateSpec<unknown>["kind"], readonly UserStateProtocol[]>> = {
  value: ["bag"],
  bag: ["bag"],
  combining: ["bag"],
  map: ["multimap"],
  set: ["multimap"],
  // A runner without ordered-list state gets a bag, sorted when read.
  orderedList: ["orderedList", "bag"],
};

/**
 * The state cells of a stateful ParDo from its (runner-rewritten) ParDoPayload: the
 * protocol and coders per state id. The DoFn's own declarations give the kinds (value and
 * combining state travel as bags, map and set state as multimaps).
 */
export function userStateCells(
  label: string,
  declared: StateSpecMap,
  specs: Readonly<Record<string, ProtoStateSpec>>,
  coder: (id: string) => Coder<unknown>,
): UserStateCell[] {
  return Object.entries(declared).map(([id, spec]) => {
    const proto = specs[id];
    if (proto === undefined) throw new Error(`${label}: the runner's descriptor lacks the state spec "${id}".`);
    const urn = proto.protocol?.urn ?? "";
    const protocol = PROTOCOLS[urn];
    if (protocol === undefined || !ALLOWED[spec.kind].includes(protocol)) {
      throw new UnsupportedFeatureError(urn, `${label}: ${spec.kind} state "${id}" cannot be kept with the state protocol ${urn || "(none)"}.`);
    }
    const s = proto.spec;
    let valueCoder: Coder<unknown>;
    let keyCoder: Coder<unknown> | undefined;
    switch (s?.$case) {
      case "readModifyWriteSpec":
        valueCoder = coder(s.readModifyWriteSpec.coderId);
        break;
      case "bagSpec":
        valueCoder = coder(s.bagSpec.elementCoderId);
        break;
      case "combiningSpec":
        valueCoder = coder(s.combiningSpec.accumulatorCoderId);
        break;
      case "orderedListSpec":
        valueCoder = coder(s.orderedListSpec.elementCoderId);
        break;
      case "mapSpec":
        keyCoder = coder(s.mapSpec.keyCoderId);
        valueCoder = coder(s.mapSpec.valueCoderId);
        break;
      case "multimapSpec":
        keyCoder = coder(s.multimapSpec.keyCoderId);
        valueCoder = coder(s.multimapSpec.valueCoderId);
        break;
      case "setSpec":
        keyCoder = coder(s.setSpec.elementCoderId);
        valueCoder = boolCoder as Coder<unknown>;
        break;
      default:
        throw new UnsupportedFeatureError(urn, `${label}: state "${id}" has no state spec in the descriptor.`);
    }
    if (protocol === "multimap" && keyCoder === undefined) {
      throw new Error(`${label}: ${spec.kind} state "${id}" needs a map or set spec (map keys) in the descriptor.`);
    }
    // Ordered-list values (and our sorted-bag fallback) are length-prefixed after the sort key.
    if (spec.kind === "orderedList" && valueCoder.urn !== CoderUrns.lengthPrefix) valueCoder = lengthPrefixCoder(valueCoder);
    return { id, spec, protocol, valueCoder, keyCoder };
  });
}

/** The whole int64 range of sort keys, for reading and clearing a whole ordered list. */
const ALL_SORT_KEYS = { start: -(2n ** 63n), end: 2n ** 63n - 1n };

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/** A (key, window) whose state was read in this bundle, with what was read (to write back changes only). */
interface Loaded {
  readonly entry: StateEntry;
  readonly keyBytes: Buffer;
  readonly windowBytes: Buffer;
  /** Bag contents as read: a bag that only grew is written back by appending. */
  readonly bags: Map<string, readonly unknown[]>;
  /** Multimap contents as read: encoded map key → encoded value (sets: encoded element → ""). */
  readonly maps: Map<string, Map<string, string>>;
  /** Ordered lists that held values when read (only those are cleared: see write). */
  readonly lists: Set<string>;
}

/**
 * The user state of one stateful ParDo within one bundle, over the Fn API state channel
 * (Beam's FnApiStateAccessor / FnApiUserStateContext): the first time a bundle touches a
 * (key, window) every declared cell is read (DoFns then read and write synchronously, with
 * the same accessors as the embedded runner); at the end of the bundle each changed cell is
 * written back with clears and appends. Nothing is written for a failed bundle, so the
 * runner's state stays as it was.
 */
export class BundleUserState {
  private readonly table = new StateTable();
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  private readonly specs: StateSpecMap;

  constructor(
    private readonly transformId: string,
    private readonly cells: readonly UserStateCell[],
    private readonly client: UserStateClient,
  ) {
    this.specs = Object.fromEntries(cells.map((c) => [c.id, c.spec]));
  }

  /** The entry of (key, window) if this bundle has read it already. */
  entry(keyBytes: Uint8Array, windowBytes: Uint8Array): StateEntry | undefined {
    return this.loaded.get(`${latin1(keyBytes)}\u0000${latin1(windowBytes)}`)?.entry;
  }

  /** Reads every cell of (key, window) from the runner, once per bundle. */
  load(key: unknown, keyBytes: Uint8Array, window: BoundedWindow, windowBytes: Uint8Array): Promise<StateEntry> {
    const id = `${latin1(keyBytes)}\u0000${latin1(windowBytes)}`;
    const done = this.loaded.get(id);
    if (done !== undefined) return Promise.resolve(done.entry);
    let pending = this.loading.get(id);
    if (pending === undefined) {
      const l: Loaded = {
        entry: this.table.entry(key, latin1(keyBytes), window),
        keyBytes: Buffer.from(keyBytes),
        windowBytes: Buffer.from(windowBytes),
        bags: new Map(),
        maps: new Map(),
        lists: new Set(),
      };
      pending = Promise.all(this.cells.map((c) => this.read(l, c))).then(() => {
        this.loaded.set(id, l);
        this.loading.delete(id);
        return l;
      });
      this.loading.set(id, pending);
    }
    return pending.then((l) => l.entry);
  }

  /** The accessors a DoFn sees for a read entry: the embedded runner's, over this bundle's copy. */
  accessors(e: StateEntry): Record<string, unknown> {
    return stateAccessors(this.specs, this.table, e);
  }

  /** Writes back every cell a DoFn changed in this bundle. */
  async flush(): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const l of this.loaded.values()) {
      for (const c of this.cells) if (l.entry.touched.has(c.id)) writes.push(this.write(l, c));
    }
    await Promise.all(writes);
  }

  // --- Reading ---

  private async read(l: Loaded, c: UserStateCell): Promise<void> {
    const cells = l.entry.cells;
    switch (c.spec.kind) {
      case "value": {
        const values = decodeAll(c.valueCoder, await this.client.get(this.bagKey(l, c)));
        if (values.length > 0) cells.set(c.id, values[values.length - 1]);
        return;
      }
      case "bag": {
        const values = decodeAll(c.valueCoder, await this.client.get(this.bagKey(l, c)));
        if (values.length > 0) cells.set(c.id, values);
        l.bags.set(c.id, values.slice());
        return;
      }
      case "combining": {
        // One accumulator as this harness writes it; several (another writer's appends) are merged.
        const accs = decodeAll(c.valueCoder, await this.client.get(this.bagKey(l, c)));
        if (accs.length === 1) cells.set(c.id, accs[0]);
        else if (accs.length > 1) cells.set(c.id, c.spec.combineFn.mergeAccumulators(accs));
        return;
      }
      case "map":
      case "set": {
        const entries = await this.readMultimap(l, c);
        l.maps.set(c.id, new Map(entries.map((e) => [e.keyBytes, c.spec.kind === "set" ? "" : e.valueBytes])));
        if (entries.length === 0) return;
        if (c.spec.kind === "set") cells.set(c.id, new Set(entries.map((e) => e.key)));
        else cells.set(c.id, new Map(entries.map((e) => [e.key, e.value])));
        return;
      }
      case "orderedList": {
        const list = c.protocol === "orderedList" ? await this.client.get(this.orderedListKey(l, c)) : await this.client.get(this.bagKey(l, c));
        const values = decodeTimestamped(c.valueCoder, list);
        // A bag (the fallback protocol) is unordered; sort stably by sort key.
        values.sort((a, b) => a.timestamp - b.timestamp);
        if (values.length > 0) {
          cells.set(c.id, values);
          l.lists.add(c.id);
        }
        return;
      }
    }
  }

  /**
   * A multimap's entries: its keys, then each key's values (last one wins). A key without
   * values is absent: a runner may keep a cleared map key listed (Prism does).
   */
  private async readMultimap(l: Loaded, c: UserStateCell): Promise<{ key: unknown; keyBytes: string; value: unknown; valueBytes: string }[]> {
    const keyCoder = c.keyCoder!;
    const bytes = await this.client.get({
      type: { $case: "multimapKeysUserState", multimapKeysUserState: { transformId: this.transformId, userStateId: c.id, window: l.windowBytes, key: l.keyBytes } },
    });
    const reader = new BufferReader(bytes);
    const keys: { key: unknown; raw: Uint8Array }[] = [];
    while (reader.remaining > 0) {
      const start = reader.position;
      const key = keyCoder.decode(reader, true);
      keys.push({ key, raw: bytes.subarray(start, reader.position) });
    }
    const entries = await Promise.all(
      keys.map(async ({ key, raw }) => {
        const data = await this.client.get(this.multimapKey(l, c, raw));
        const reader = new BufferReader(data);
        let value: unknown;
        let valueStart = 0;
        let found = false;
        while (reader.remaining > 0) {
          valueStart = reader.position;
          value = c.valueCoder.decode(reader, true);
          found = true;
        }
        return found ? { key, keyBytes: latin1(raw), value, valueBytes: latin1(data.subarray(valueStart)) } : undefined;
      }),
    );
    return entries.filter((e) => e !== undefined);
  }

  // --- Writing back ---

  private async write(l: Loaded, c: UserStateCell): Promise<void> {
    const has = l.entry.cells.has(c.id);
    const current = l.entry.cells.get(c.id);
    switch (c.spec.kind) {
      case "value":
      case "combining":
        await this.client.clear(this.bagKey(l, c));
        if (has) await this.client.append(this.bagKey(l, c), encodeAll(c.valueCoder, [current]));
        return;
      case "bag": {
        const before = l.bags.get(c.id) ?? [];
        const after = (current as unknown[] | undefined) ?? [];
        // A bag that only grew gets its new elements appended; anything else is rewritten.
        const grew = after.length >= before.length && before.every((v, i) => after[i] === v);
        if (!grew) await this.client.clear(this.bagKey(l, c));
        const added = grew ? after.slice(before.length) : after;
        if (added.length > 0) await this.client.append(this.bagKey(l, c), encodeAll(c.valueCoder, added));
        return;
      }
      case "map":
      case "set":
        await this.writeMultimap(l, c, current as Map<unknown, unknown> | Set<unknown> | undefined);
        return;
      case "orderedList": {
        const values = (current as ValueWithTimestamp<unknown>[] | undefined) ?? [];
        const key = c.protocol === "orderedList" ? this.orderedListKey(l, c) : this.bagKey(l, c);
        // Nothing to clear in a list that was empty (Prism 2.77 fails a clear of an ordered
        // list it has never stored).
        if (l.lists.has(c.id)) await this.client.clear(key);
        if (values.length > 0) await this.client.append(key, encodeTimestamped(c.valueCoder, values));
        return;
      }
    }
  }

  /**
   * Per map key: removed keys are cleared, new or changed ones (by encoding) cleared and
   * appended. Clearing key by key rather than the whole multimap also suits runners that
   * ignore a clear of all keys (Prism 2.77 does).
   */
  private async writeMultimap(l: Loaded, c: UserStateCell, current: Map<unknown, unknown> | Set<unknown> | undefined): Promise<void> {
    const before = l.maps.get(c.id) ?? new Map<string, string>();
    const after = new Map<string, { raw: Uint8Array; value: Uint8Array }>();
    const isSet = c.spec.kind === "set";
    for (const [k, v] of current instanceof Map ? current : [...(current ?? [])].map((x) => [x, true] as const)) {
      const w = new BufferWriter();
      c.keyCoder!.encode(k, w, true);
      const raw = w.finish();
      after.set(latin1(raw), { raw, value: encodeAll(c.valueCoder, [isSet ? true : v]) });
    }
    const ops: Promise<void>[] = [];
    for (const [k] of before) {
      if (!after.has(k)) ops.push(this.client.clear(this.multimapKey(l, c, Buffer.from(k, "latin1"))));
    }
    for (const [k, { raw, value }] of after) {
      const old = before.get(k);
      if (old !== undefined && (isSet || old === latin1(value))) continue;
      const key = this.multimapKey(l, c, raw);
      ops.push((old === undefined ? Promise.resolve() : this.client.clear(key)).then(() => this.client.append(key, value)));
    }
    await Promise.all(ops);
  }

  // --- State keys ---

  private bagKey(l: Loaded, c: UserStateCell): StateKey {
    return { type: { $case: "bagUserState", bagUserState: { transformId: this.transformId, userStateId: c.id, window: l.windowBytes, key: l.keyBytes } } };
  }

  private multimapKey(l: Loaded, c: UserStateCell, mapKey: Uint8Array): StateKey {
    return {
      type: {
        $case: "multimapUserState",
        multimapUserState: { transformId: this.transformId, userStateId: c.id, window: l.windowBytes, key: l.keyBytes, mapKey: Buffer.from(mapKey) },
      },
    };
  }

  private orderedListKey(l: Loaded, c: UserStateCell): StateKey {
    return {
      type: {
        $case: "orderedListUserState",
        orderedListUserState: { transformId: this.transformId, userStateId: c.id, window: l.windowBytes, key: l.keyBytes, range: ALL_SORT_KEYS },
      },
    };
  }
}

/** Elements concatenated in the nested context, as the state API carries them. */
function decodeAll(coder: Coder<unknown>, bytes: Uint8Array): unknown[] {
  const reader = new BufferReader(bytes);
  const out: unknown[] = [];
  while (reader.remaining > 0) out.push(coder.decode(reader, true));
  return out;
}

function encodeAll(coder: Coder<unknown>, values: readonly unknown[]): Uint8Array {
  const w = new BufferWriter();
  for (const v of values) coder.encode(v, w, true);
  return w.finish();
}

/** Ordered-list elements: the sort key as a varint of millis, then the length-prefixed value. */
function decodeTimestamped(coder: Coder<unknown>, bytes: Uint8Array): ValueWithTimestamp<unknown>[] {
  const reader = new BufferReader(bytes);
  const out: ValueWithTimestamp<unknown>[] = [];
  while (reader.remaining > 0) {
    const timestamp = varIntCoder.decode(reader, true);
    out.push({ value: coder.decode(reader, true), timestamp });
  }
  return out;
}

function encodeTimestamped(coder: Coder<unknown>, values: readonly ValueWithTimestamp<unknown>[]): Uint8Array {
  const w = new BufferWriter();
  for (const v of values) {
    varIntCoder.encode(v.timestamp, w, true);
    coder.encode(v.value, w, true);
  }
  return w.finish();
}
