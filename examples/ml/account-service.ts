/**
 * A stand-in for an account service: a loopback HTTP server answering the protocol of
 * beam-ts's httpEnrichmentHandler (one POST of `{ "keys": [...] }` answered by
 * `{ "values": [...] }`, null for an unknown key). The example and its test start one, so
 * the enrichment step talks to a real server over real HTTP.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the service knows of an account. */
export interface Account {
  readonly homeCountry: string;
  /** When the account was opened (ISO 8601). */
  readonly openedAt: string;
}

/** A running account service. */
export interface AccountService {
  /** The lookup endpoint, for httpEnrichmentHandler({ url }). */
  readonly url: string;
  /** Keys asked for so far, over all requests: the cache keeps this at one per account. */
  readonly keysAsked: () => number;
  close(): Promise<void>;
}

/** The sample accounts of examples/ml (acc-9, used by a sample transaction, is unknown). */
export const SAMPLE_ACCOUNTS: Readonly<Record<string, Account>> = {
  "acc-1": { homeCountry: "NL", openedAt: "2019-05-14T00:00:00Z" },
  "acc-2": { homeCountry: "FR", openedAt: "2026-02-20T00:00:00Z" },
  "acc-3": { homeCountry: "PT", openedAt: "2026-02-25T00:00:00Z" },
};

/** Starts the service on a free loopback port. */
export async function startAccountService(accounts: Readonly<Record<string, Account>> = SAMPLE_ACCOUNTS): Promise<AccountService> {
  let keysAsked = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      let keys: unknown;
      try {
        keys = (JSON.parse(body) as { keys?: unknown }).keys;
      } catch {
        keys = undefined;
      }
      if (req.method !== "POST" || req.url !== "/accounts/lookup" || !Array.isArray(keys)) {
        // A 4xx is not retried by the handler: the job fails with this message.
        res.writeHead(400).end(`expected POST /accounts/lookup with { "keys": [...] }`);
        return;
      }
      keysAsked += keys.length;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ values: keys.map((k) => accounts[String(k)] ?? null) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/accounts/lookup`,
    keysAsked: () => keysAsked,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
