// Runners. The embedded runner is the default; portable runners come later.
export * from "./embedded/index.js";
