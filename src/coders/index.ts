/** Coders: Beam's standard coders, byte-compatible with every Beam SDK, and our JS value coder. */
export * from "./urns.js";
export { BufferReader, BufferWriter, decodeFromBytes, encodeToBytes } from "./byte-buffer.js";
export { bigVarIntCoder, boolCoder, bytesCoder, doubleCoder, stringUtf8Coder, varIntCoder } from "./primitives.js";
export { iterableCoder, kvCoder, lengthPrefixCoder, nullableCoder } from "./structural.js";
export { exactMillis, readInstant, writeInstant } from "./instant.js";
export { readPane, writePane } from "./pane-coder.js";
export { globalWindowCoder, intervalWindowCoder, windowCoderOf } from "./window-coders.js";
export {
  decodeParamWindowedValuePayload,
  paramWindowedValueCoder,
  windowedValueCoder,
  type WindowedValueMetadata,
} from "./windowed-value-coders.js";
export { timerCoder, type TimerData } from "./timer-coder.js";
export { decodeSchemaProto, type AtomicType, type Field, type FieldType, type Schema } from "./schema.js";
export { rowCoder, type Row } from "./row-coder.js";
export { deterministicJsValueCoder, jsValueCoder } from "./js-value-coder.js";
export { unionCoder, type UnionValue } from "./union-coder.js";
export { shardedKeyCoder, type ShardedKey } from "./sharded-key-coder.js";
export { stateBackedIterableCoder, type IterableStateReader } from "./state-backed-iterable-coder.js";
export { customWindowCoder } from "./custom-window-coder.js";
export { bigDecimalCoder, formatBigDecimal, parseBigDecimal, type BigDecimal } from "./big-decimal-coder.js";
export { asDeterministic } from "./deterministic.js";
export { inferCoder } from "./infer.js";
export { coderFromSpec, type CoderFromSpecOptions, type CoderSpec } from "./registry.js";
