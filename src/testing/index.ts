// Testing utilities: assertThat (Beam's PAssert) and matchers.
export * from "./assert-that.js";
export * from "./matchers.js";
