// Which records of a read_committed fetch a consumer may emit. The broker returns a
// read_committed fetch up to the last stable offset, but it still includes the batches of
// aborted transactions below it: it lists those transactions (producer id, first offset)
// and the client drops their batches up to the producer's ABORT marker (KIP-98; Java's
// Fetcher does the same with its abortedProducerIds set).

/** A record batch as the client decodes it: only the fields the filter needs. */
export interface BatchHeader {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly records: readonly { readonly key: Uint8Array | null }[];
}

/** An aborted transaction of a fetch response: its producer, and the offset it began at. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** Batch attribute bits (Kafka's RecordBatch): bit 4 transactional, bit 5 control. */
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** Control record types (the int16 after the version in a control record's key). */
const ABORT_MARKER = 0;

function isAbortMarker(batch: BatchHeader): boolean {
  const key = batch.records[0]?.key;
  if (key === null || key === undefined || key.length < 4) return false;
  return ((key[2]! << 8) | key[3]!) === ABORT_MARKER;
}

/**
 * The batches whose records a consumer emits, in order: control batches (transaction
 * markers) never; with `readCommitted`, not those of a transaction listed as aborted
 * either. Without `readCommitted` every data batch is kept (read_uncommitted).
 */
export function committedBatches<B extends BatchHeader>(batches: readonly B[], aborted: readonly AbortedTransaction[], readCommitted: boolean): B[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const kept: B[] = [];
  let next = 0;
  for (const batch of batches) {
    if (readCommitted) {
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      // Transactions that began at or before this batch are open for their producer.
      while (next < pending.length && pending[next]!.firstOffset <= last) abortedProducers.add(pending[next++]!.producerId);
    }
    if ((batch.attributes & CONTROL) !== 0) {
      // The producer's ABORT marker ends its aborted transaction: its later batches are kept again.
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (readCommitted && (batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    kept.push(batch);
  }
  return kept;
}
