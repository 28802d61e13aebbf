/** URNs of Beam's standard coders (beam_runner_api.proto StandardCoders) and of ours. */
export const CoderUrns = {
  bytes: "beam:coder:bytes:v1",
  stringUtf8: "beam:coder:string_utf8:v1",
  kv: "beam:coder:kv:v1",
  bool: "beam:coder:bool:v1",
  varint: "beam:coder:varint:v1",
  double: "beam:coder:double:v1",
  iterable: "beam:coder:iterable:v1",
  timer: "beam:coder:timer:v1",
  intervalWindow: "beam:coder:interval_window:v1",
  lengthPrefix: "beam:coder:length_prefix:v1",
  globalWindow: "beam:coder:global_window:v1",
  windowedValue: "beam:coder:windowed_value:v1",
  paramWindowedValue: "beam:coder:param_windowed_value:v1",
  nullable: "beam:coder:nullable:v1",
  row: "beam:coder:row:v1",
  shardedKey: "beam:coder:sharded_key:v1",
  /** Elements inline, possibly followed by a token for the rest on the Fn API state channel. */
  stateBackedIterable: "beam:coder:state_backed_iterable:v1",
  /** A window in its own coder, prefixed with its max timestamp (Beam's TimestampPrefixingWindowCoder). */
  customWindow: "beam:coder:custom_window:v1",
  /** Our general coder for JS values; not understood by other SDKs. */
  jsValue: "beam-ts:coder:js_value:v1",
  /** The JS value coder in its deterministic (key) mode. */
  jsValueDeterministic: "beam-ts:coder:js_value_deterministic:v1",
  /** CoGroupByKey's tagged values: varint tag, then the value in its input's coder (Beam's UnionCoder). */
  union: "beam-ts:coder:union:v1",
  /** A splittable DoFn's restriction (OffsetRange or JS value); built by the SDK harness. */
  sdfRestriction: "beam-ts:coder:sdf_restriction:v1",
} as const;

/** Logical types of Beam schemas: their URNs live with the schema model values. */
export { LogicalTypeUrns } from "../model/index.js";
