// Built-in CombineFns.
export * from "./arithmetic.js";
export * from "./top.js";
export * from "./collect.js";
export * from "./sample.js";
export * from "./latest.js";
