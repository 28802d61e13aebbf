import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PipelineResult } from "../../src/index.js";

/** PEM files of a CA, a server certificate it signed for 127.0.0.1, and another CA that signed nothing here. */
export interface Certificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
  readonly key: string;
  readonly otherCa: string;
}

/**
 * Makes the certificates in `dir` with openssl (EC P-256 keys: fast), valid for a day, for
 * the connectors' TLS tests (test/io/tls.test.ts, test/io/kafka-security.test.ts).
 */
export function makeCertificates(dir: string): Certificates {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", at("ca.key"), "-out", at("ca.crt"), "-days", "1", "-subj", "/CN=beam-ts test CA");
  openssl("req", "-x509", ...ec, "-keyout", at("other-ca.key"), "-out", at("other-ca.crt"), "-days", "1", "-subj", "/CN=beam-ts other CA");
  openssl("req", ...ec, "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=127.0.0.1");
  writeFileSync(at("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("x509", "-req", "-in", at("server.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key"), "-CAcreateserial", "-out", at("server.crt"), "-days", "1", "-extfile", at("san.ext"));
  return {
    dir,
    caFile: at("ca.crt"),
    certFile: at("server.crt"),
    keyFile: at("server.key"),
    ca: readFileSync(at("ca.crt"), "utf8"),
    key: readFileSync(at("server.key"), "utf8"),
    otherCa: readFileSync(at("other-ca.crt"), "utf8"),
  };
}

/** The job's failure, or undefined when it finished. */
export async function failureOf(result: PipelineResult): Promise<Error | undefined> {
  try {
    await result.waitUntilFinish();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** The error's message with its causes' messages (what a user sees printed). */
export function fullText(err: Error | undefined): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 10; e = e.cause) parts.push(e.message);
  return parts.join("\n");
}
