export * from "./read.js";
export * from "./generate-sequence.js";
export * from "./periodic-impulse.js";
