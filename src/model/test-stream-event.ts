import type { Duration, Instant } from "./time.js";

/**
 * One step of a TestStream script, as in Beam's TestStream.Event: a bundle of elements
 * with timestamps, a watermark advance, or a processing-time advance. A script that ends
 * without advancing the watermark to +infinity leaves the stream open (the job runs until
 * cancelled or drained), as in Beam.
 */
export type TestStreamEvent =
  | { readonly kind: "elements"; readonly elements: readonly { readonly value: unknown; readonly timestamp: Instant }[] }
  | { readonly kind: "watermark"; readonly watermark: Instant }
  | { readonly kind: "processingTime"; readonly advanceBy: Duration };
