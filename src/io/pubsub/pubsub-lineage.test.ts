import { describe, expect, it } from "vitest";
import { pubsubLineageName } from "./pubsub-lineage.js";

describe("pubsubLineageName", () => {
  it("names a topic with the topic subtype, the project and the topic", () => {
    expect(pubsubLineageName("projects/p1/topics/events")).toBe("pubsub:topic:p1.events");
  });

  it("names a subscription with the subscription subtype", () => {
    expect(pubsubLineageName("projects/my-proj/subscriptions/orders.sub")).toBe("pubsub:subscription:my-proj.`orders.sub`");
  });

  it("reports a name that is not a full resource name whole", () => {
    expect(pubsubLineageName("events")).toBe("pubsub:events");
  });
});
