import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Secret } from "../../model/index.js";
import { resolveNatsConnection } from "./nats-connection.js";
import { natsLineageName } from "./nats-lineage.js";

describe("natsLineageName", () => {
  it("names the servers without scheme, comma-separated, then the stream or subject", () => {
    expect(natsLineageName({ servers: ["nats://n1:4222", "n2:4223"] }, "ORDERS")).toBe("nats:`n1:4222,n2:4223`.ORDERS");
  });

  it("never holds credentials, whether in a server url, the password or the token", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (secret) => {
        const inUrl = resolveNatsConnection("t", { servers: `nats://beam:${secret}@n1:4222` });
        const asPassword = resolveNatsConnection("t", { servers: "n1:4222", user: "beam", password: new Secret(secret) });
        const asToken = resolveNatsConnection("t", { servers: "n1:4222", token: secret });
        for (const c of [inUrl, asPassword, asToken]) {
          expect(natsLineageName(c, "orders.paid")).toBe("nats:`n1:4222`.`orders.paid`");
        }
      }),
    );
  });
});
