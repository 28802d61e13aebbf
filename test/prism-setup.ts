import type { TestProject } from "vitest/node";
import { startPrism, type JobService } from "../tools/runners/job-services.mjs";

let prism: JobService | undefined;

/**
 * Starts one Prism job service for the whole run (built from the Go module proxy on first
 * use, cached) and hands its endpoint to the conformance suite, which then runs every
 * scenario on Prism too (test/conformance/runners.ts).
 */
export async function setup(project: TestProject): Promise<void> {
  prism = await startPrism();
  project.provide("prismEndpoint", prism.endpoint);
}

export async function teardown(): Promise<void> {
  await prism?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    prismEndpoint: string;
  }
}
