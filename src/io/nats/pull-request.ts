import type { NatsCoreMessageLike, NatsSession } from "./nats-connection.js";
import { NatsIOError } from "./nats-io-error.js";

/** What one pull request returned: the messages, in delivery order. */
export interface PulledMessages {
  readonly messages: readonly NatsCoreMessageLike[];
}

/**
 * One pull request to a JetStream pull consumer (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`)
 * with `no_wait` and `expires`: the server sends the messages available now (up to `batch`)
 * and ends at once, or, when there is none, waits up to `expiresMs` for the first. The
 * clients' own `fetch` always waits for a full batch or the expiry, which would hold every
 * bundle for the whole wait.
 */
export async function pull(session: NatsSession, stream: string, consumer: string, batch: number, expiresMs: number): Promise<PulledMessages> {
  const { client, modules } = session;
  const inbox = modules.createInbox();
  const sub = client.subscribe(inbox);
  const request = { batch, no_wait: true, expires: Math.max(1, expiresMs) * 1_000_000 };
  client.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify(request), { reply: inbox });
  const messages: NatsCoreMessageLike[] = [];
  // The server ends a request with a status message (404 no more messages, 408 expired), or
  // sends no end when the batch is full; a stuck connection ends at expires plus a margin.
  const guard = setTimeout(() => sub.unsubscribe(), expiresMs + 5000);
  try {
    for await (const m of sub) {
      const code = m.headers?.code ?? 0;
      if (code !== 0 && m.data.length === 0) {
        if (code === 100) continue; // a heartbeat
        if (code === 404 || code === 408) break;
        throw new NatsIOError(`JetStream refused the pull from consumer ${JSON.stringify(consumer)} of stream ${JSON.stringify(stream)}: ${code} ${m.headers?.description ?? ""}.`, {
          // 409 "Consumer Deleted" and the like: the next bundle may pull again.
          retryable: true,
        });
      }
      messages.push(m);
      if (messages.length >= batch) break;
    }
  } finally {
    clearTimeout(guard);
    sub.unsubscribe();
  }
  return { messages };
}
