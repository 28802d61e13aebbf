// Cross-language: beam-ts transforms served to other SDKs through Beam's expansion service.
// (Using other SDKs' transforms from beam-ts is `external(...)` in transforms/, expanded by
// the portable runner: runners/portable/expansion.ts.)
export * from "./registry.js";
export * from "./expansion-service.js";
export { BuiltinUrns, builtinTransforms } from "./builtin-transforms.js";
export { SCHEMA_TRANSFORM_URN, requestedTransform, type RequestedTransform } from "./config.js";
export { expandRequest, type ExpansionTarget } from "./expand.js";
