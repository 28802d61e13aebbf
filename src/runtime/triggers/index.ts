// Trigger state machines: run a model Trigger for each (key, window) of a grouping step.
export * from "./trigger-state-machine.js";
