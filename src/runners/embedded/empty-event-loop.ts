/**
 * Node emits `beforeExit` when a thread's event loop has nothing left to run: no timer, no
 * I/O, no ref'd port or worker. An executor that is then still waiting for a promise waits
 * for ever (the process would exit with code 13, "unsettled top-level await", and print
 * nothing; a worker thread would hang its job). One process listener serves every running
 * executor of the thread, so many jobs at once never pile up listeners.
 */
const listeners = new Set<() => void>();

function emptyLoop(): void {
  for (const listener of [...listeners]) listener();
}

/**
 * Calls `listener` whenever this thread's event loop runs empty, until the returned
 * function is called.
 *
 * @example
 * const stop = onEmptyEventLoop(() => fail(new StalledError("…")));
 * try { await work; } finally { stop(); }
 */
export function onEmptyEventLoop(listener: () => void): () => void {
  if (listeners.size === 0) process.on("beforeExit", emptyLoop);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) process.off("beforeExit", emptyLoop);
  };
}
