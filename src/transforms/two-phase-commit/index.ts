// Two-phase commit sinks: the contract and the ParDo that drives it.
export type { TwoPhaseBeginContext, TwoPhaseCommitSink, TwoPhaseWriteContext } from "./two-phase-commit-sink.js";
export { twoPhaseCommitWrite } from "./two-phase-commit-write.js";
