import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterEach } from "vitest";
import { FIXTURE_ENV } from "./pipelines.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const PROGRAM = "test/runners/lifecycle/lifecycle-program.ts";

/** Children still running; a test that failed or timed out leaves none behind. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

/** How a child process ended, with what it printed. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A lifecycle fixture running in a child process (`node --import tsx`). */
export interface Child {
  readonly process: ChildProcess;
  /** Resolves when stdout has a line containing `text`. */
  printed(text: string): Promise<void>;
  /** Resolves when stderr contains `text`. */
  warned(text: string): Promise<void>;
  readonly exit: Promise<Exit>;
}

/** Runs fixture `fixture` of pipelines.ts as a program with `args` (pipeline options). */
export function runFixture(fixture: string, args: readonly string[] = []): Child {
  const child = spawn(process.execPath, ["--import", "tsx", PROGRAM, ...args], {
    cwd: ROOT,
    env: { ...process.env, [FIXTURE_ENV]: fixture },
  });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  const waiters: { stream: "out" | "err"; text: string; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if ((w.stream === "out" ? stdout : stderr).includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    check();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    check();
  });
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const waitFor = (stream: "out" | "err", text: string) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ stream, text, resolve });
      check();
      void exit.then((e) => reject(new Error(`the child exited (${e.code ?? e.signal}) before printing "${text}":\n${e.stdout}\n${e.stderr}`)));
    });
  return { process: child, printed: (text) => waitFor("out", text), warned: (text) => waitFor("err", text), exit };
}
