// Testing utilities: assertThat (Beam's PAssert) and matchers.
export * from "./assert-that.js";
export * from "./matchers.js";
export * from "./test-stream.js";
export * from "./marbles.js";
export * from "./reify.js";
