import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** The repository root, and the `beam-ts` command line the portable tests run as users do. */
export const ROOT = path.resolve(import.meta.dirname, "../..");
export const CLI = path.join(ROOT, "bin/beam-ts.js");

/** How a `beam-ts` run ended. */
export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `beam-ts <args>` to the end, from the repository root. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `beam-ts worker-pool --port=0` and resolves with its endpoint once it listens. */
export function startWorkerPool(): Promise<{ child: ChildProcess; endpoint: string; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "worker-pool", "--port=0"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    child.on("error", reject);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m)
        resolve({
          child,
          endpoint: m[1]!,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
    });
    child.on("exit", (code) => reject(new Error(`worker-pool exited with ${code}: ${out}`)));
  });
}
