// The import surface of src/cep: pattern detection (CEP) on keyed event streams.
export { begin, Pattern, type Condition, type Contiguity, type IterativeContext, type Stage, type StageKind } from "./pattern.js";
export { AfterMatchSkipStrategy } from "./after-match-skip-strategy.js";
export { Nfa, emptyNfaState, type Match, type NfaOutput, type NfaState, type PartialMatch, type TimedOutMatch } from "./nfa.js";
export { matchCoder, nfaStateCoder, timedOutMatchCoder } from "./cep-coders.js";
export { detectPattern, type DetectPatternOptions, type DetectPatternOutputs } from "./detect-pattern.js";
