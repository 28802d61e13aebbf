// Runners. The embedded runner is the default; the portable runner talks to Beam job services.
export * from "./embedded/index.js";
export * from "./portable/index.js";
