/** A checkpoint section taken at one moment and written in slices afterwards (Stage.snapshotLater). */
export interface DeferredSection {
  /** Writes more of it until `deadline` (performance.now()); true once all is written. */
  advance(deadline: number): boolean;
  /** Its bytes, writing what is left now. */
  finish(): Uint8Array;
}

/**
 * A stage's deferred section: `head` and `tail` written at the cut around `body`, the part
 * written later (a keyed table, copy on write).
 */
export function deferredBetween(head: Uint8Array, body: DeferredSection, tail: Uint8Array): DeferredSection {
  let bytes: Uint8Array | undefined;
  return {
    advance: (deadline) => body.advance(deadline),
    finish: () => {
      if (bytes === undefined) {
        const middle = body.finish();
        bytes = new Uint8Array(head.length + middle.length + tail.length);
        bytes.set(head, 0);
        bytes.set(middle, head.length);
        bytes.set(tail, head.length + middle.length);
      }
      return bytes;
    },
  };
}

