/** Typed pipeline options parsed from the command line. */
export { option, HelpRequested, type OptionDef, type OptionSpecs, type OptionValues } from "./option.js";
export { defineOptions, PipelineOptionsSpec, type ParsedOptions } from "./parse.js";
export { standardOptions, type StandardOptionSpecs } from "./standard.js";
export { gcsOptions, s3Options } from "./file-system-options.js";
export { redactOptions, secretNamesOf } from "./redact.js";
export { parseByteSize } from "./byte-size.js";
