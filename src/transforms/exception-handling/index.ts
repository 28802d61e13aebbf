export type { BadRecord, BadElement, BadRecordError } from "./bad-record.js";
export { FAILURES_TAG, type ErrorFilter } from "./exception-handling-do-fn.js";
export {
  DeadLetterThresholdError,
  type ErrorClass,
  type ExceptionHandlingOptions,
  type ParDoOutput,
  type WithFailures,
} from "./with-exception-handling.js";
export { ErrorHandler, badRecordErrorHandler } from "./error-handler.js";
