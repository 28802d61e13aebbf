import type { BoundedWindow, Coder } from "../model/index.js";
import { UnsupportedFeatureError } from "../model/index.js";
import { bigVarIntCoder, boolCoder, bytesCoder, doubleCoder, stringUtf8Coder, varIntCoder } from "./primitives.js";
import { iterableCoder, kvCoder, lengthPrefixCoder, nullableCoder } from "./structural.js";
import { globalWindowCoder, intervalWindowCoder } from "./window-coders.js";
import { decodeParamWindowedValuePayload, paramWindowedValueCoder, windowedValueCoder } from "./windowed-value-coders.js";
import { timerCoder } from "./timer-coder.js";
import { rowCoder } from "./row-coder.js";
import { decodeSchemaProto } from "./schema.js";
import { deterministicJsValueCoder, jsValueCoder } from "./js-value-coder.js";
import { unionCoder } from "./union-coder.js";
import { shardedKeyCoder } from "./sharded-key-coder.js";
import { stateBackedIterableCoder, type IterableStateReader } from "./state-backed-iterable-coder.js";
import { customWindowCoder } from "./custom-window-coder.js";
import { CoderUrns } from "./urns.js";

/** A coder as the Runner API describes it: URN, component coders and payload. */
export interface CoderSpec {
  readonly urn: string;
  readonly components?: readonly CoderSpec[];
  readonly payload?: Uint8Array;
}

export interface CoderFromSpecOptions {
  /** Decode varints as bigint (exact 64-bit) instead of number. */
  readonly bigintVarInts?: boolean;
  /**
   * Reads the elements a state-backed iterable left on the state channel; without it,
   * `beam:coder:state_backed_iterable:v1` decodes only iterables sent whole.
   */
  readonly readIterableState?: IterableStateReader;
  /**
   * Coders of URNs this layer does not know (a layer above defines them, e.g. the harness's
   * restriction coder); consulted before giving up, with the components already built.
   */
  readonly resolve?: (spec: CoderSpec, components: readonly Coder<unknown>[]) => Coder<unknown> | undefined;
}

/** Builds the coder a spec describes; how portable runners and tests get coders. */
export function coderFromSpec(spec: CoderSpec, options: CoderFromSpecOptions = {}): Coder<unknown> {
  const parts = (spec.components ?? []).map((c) => coderFromSpec(c, options));
  const part = (i: number): Coder<unknown> => {
    const c = parts[i];
    if (c === undefined) throw new UnsupportedFeatureError(spec.urn, `The coder ${spec.urn} needs component ${i}.`);
    return c;
  };
  const asAny = <T>(c: Coder<T>): Coder<unknown> => c as Coder<unknown>;
  switch (spec.urn) {
    case CoderUrns.bytes:
      return asAny(bytesCoder);
    case CoderUrns.stringUtf8:
      return asAny(stringUtf8Coder);
    case CoderUrns.varint:
      return options.bigintVarInts === true ? asAny(bigVarIntCoder) : asAny(varIntCoder);
    case CoderUrns.double:
      return asAny(doubleCoder);
    case CoderUrns.bool:
      return asAny(boolCoder);
    case CoderUrns.kv:
      return asAny(kvCoder(part(0), part(1)));
    case CoderUrns.iterable:
      return asAny(iterableCoder(part(0)));
    case CoderUrns.lengthPrefix:
      return asAny(lengthPrefixCoder(part(0)));
    case CoderUrns.nullable:
      return asAny(nullableCoder(part(0)));
    case CoderUrns.globalWindow:
      return asAny(globalWindowCoder);
    case CoderUrns.intervalWindow:
      return asAny(intervalWindowCoder);
    case CoderUrns.windowedValue:
      return asAny(windowedValueCoder(part(0), part(1) as Coder<BoundedWindow>));
    case CoderUrns.paramWindowedValue: {
      const windowCoder = part(1) as Coder<BoundedWindow>;
      const metadata = decodeParamWindowedValuePayload(spec.payload ?? new Uint8Array(), windowCoder);
      return asAny(paramWindowedValueCoder(part(0), windowCoder, metadata));
    }
    case CoderUrns.timer:
      return asAny(timerCoder(part(0), part(1) as Coder<BoundedWindow>));
    case CoderUrns.row:
      return asAny(rowCoder(decodeSchemaProto(spec.payload ?? new Uint8Array())));
    case CoderUrns.shardedKey:
      return asAny(shardedKeyCoder(part(0)));
    case CoderUrns.stateBackedIterable:
      return asAny(stateBackedIterableCoder(part(0), options.readIterableState));
    case CoderUrns.customWindow:
      return asAny(customWindowCoder(part(0) as Coder<BoundedWindow>));
    case CoderUrns.union:
      return asAny(unionCoder(parts));
    case CoderUrns.jsValue:
      return jsValueCoder;
    case CoderUrns.jsValueDeterministic:
      return deterministicJsValueCoder;
    default: {
      const resolved = options.resolve?.(spec, parts);
      if (resolved !== undefined) return resolved;
      throw new UnsupportedFeatureError(
        spec.urn,
        `beam-ts has no coder for ${spec.urn}. Supported: ${Object.values(CoderUrns).join(", ")}.`,
      );
    }
  }
}
