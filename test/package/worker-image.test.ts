/**
 * The worker container image of docs/CONTAINER.md, built without a container runtime: the
 * Dockerfile is read from that page (so the page cannot drift from what is tested), and its
 * steps run in a temporary folder standing in for the image's /opt, against the
 * tarball `npm pack` makes of this repository. The image's entrypoint then boots the
 * workers of a Prism job: a PROCESS environment whose command is the entrypoint receives the
 * same Beam boot flags (--id, --provision_endpoint, --control_endpoint, ...) a DOCKER
 * environment passes to a container.
 *
 * The image's `npm install` resolves beam-ts's dependencies from the npm registry (as
 * `docker build` does), helped by the local npm cache (prefer-offline).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cli } from "../portable/cli.js";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const prism = inject("prismEndpoint");

/** A Dockerfile's instructions, one per logical line (continuations joined, comments dropped). */
interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The ```dockerfile block of docs/CONTAINER.md, parsed. */
function containerDockerfile(): Instruction[] {
  const page = readFileSync(path.join(root, "docs", "CONTAINER.md"), "utf8");
  const blocks = [...page.matchAll(/```dockerfile\n([\s\S]*?)```/g)];
  if (blocks.length !== 1) throw new Error(`docs/CONTAINER.md must hold exactly one \`\`\`dockerfile block; it holds ${blocks.length}`);
  const text = blocks[0]![1]!.replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^([A-Z]+)\s+(.*)$/.exec(l);
      if (m === null) throw new Error(`Not a Dockerfile instruction: ${l}`);
      return { op: m[1]!, args: m[2]! };
    });
}

/** What building the image in a folder left: its entrypoint and environment, remapped to the folder. */
interface BuiltImage {
  readonly from: string;
  readonly entrypoint: string[];
  readonly env: Record<string, string>;
}

/**
 * Runs the Dockerfile's steps with `imageRoot` as the image's `/`: absolute paths are moved
 * below it, COPY takes files from `context`, RUN goes through `sh -c` in the WORKDIR. Only
 * the instructions the recipe uses are known; any other fails, so the recipe stays testable.
 */
async function buildImage(steps: readonly Instruction[], context: string, imageRoot: string): Promise<BuiltImage> {
  // The recipe's own files live below /opt; other absolute paths (/dev/null) are the host's.
  const inRoot = (s: string) => s.replace(/(^|[\s"'=:])\/opt\//g, `$1${imageRoot}/opt/`);
  let workdir = imageRoot;
  let from = "";
  let entrypoint: string[] = [];
  const env: Record<string, string> = {};
  for (const { op, args } of steps) {
    switch (op) {
      case "FROM":
        from = args;
        break;
      case "WORKDIR":
        workdir = inRoot(args);
        await mkdir(workdir, { recursive: true });
        break;
      case "COPY": {
        const parts = args.split(/\s+/);
        const dest = path.resolve(workdir, inRoot(parts.pop()!));
        for (const pattern of parts) {
          const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
          const matched = (await readdir(context)).filter((f) => re.test(f));
          if (matched.length === 0) throw new Error(`COPY ${pattern}: nothing in the build context matches`);
          for (const f of matched) await copyFile(path.join(context, f), path.join(dest, f));
        }
        break;
      }
      case "RUN":
        await exec("sh", ["-c", inRoot(args)], {
          cwd: workdir,
          env: { ...process.env, ...env, npm_config_prefer_offline: "true", npm_config_update_notifier: "false" },
          maxBuffer: 16 << 20,
        });
        break;
      case "ENV": {
        const m = /^(\w+)=(.*)$/.exec(args);
        if (m === null) throw new Error(`ENV ${args}: only the KEY=value form is supported here`);
        env[m[1]!] = inRoot(m[2]!);
        break;
      }
      case "ENTRYPOINT":
        entrypoint = (JSON.parse(args) as string[]).map(inRoot);
        break;
      default:
        throw new Error(`Dockerfile instruction ${op} is not run by this test: keep docs/CONTAINER.md's recipe to FROM, WORKDIR, COPY, RUN, ENV, ENTRYPOINT`);
    }
  }
  return { from, entrypoint, env };
}

let work = "";
let image: BuiltImage;

beforeAll(async () => {
  if (!existsSync(path.join(root, "dist", "index.js"))) throw new Error("dist/ is missing: run `npm run build` first (`npm test` does).");
  work = await mkdtemp(path.join(os.tmpdir(), "beam-ts-worker-image-"));
  const context = path.join(work, "context");
  await mkdir(context);
  // --ignore-scripts: dist/ is built already (pretest); rebuilding would replace it under other tests.
  await exec("npm", ["pack", "--ignore-scripts", "--pack-destination", context], { cwd: root });
  image = await buildImage(containerDockerfile(), context, path.join(work, "image"));
}, 180_000);

afterAll(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

describe("the worker image of docs/CONTAINER.md, its steps run in a folder", () => {
  it("is based on a Node release the package supports and has Beam's boot path as its entrypoint", () => {
    expect(image.from).toMatch(/^node:(20|22|24)[-.]/);
    expect(image.entrypoint).toEqual([path.join(work, "image", "opt/apache/beam/boot")]);
    expect(image.env["BEAM_TS_PACKAGES_FROM"]).toBe(path.join(work, "image", "opt/beam-ts"));
  });

  it("installs the packaged beam-ts with its runtime dependencies only", () => {
    const modules = path.join(work, "image", "opt/beam-ts/node_modules");
    expect(existsSync(path.join(modules, "beam-ts", "dist", "cli", "main.js"))).toBe(true);
    expect(existsSync(path.join(modules, "@grpc", "grpc-js"))).toBe(true);
    // Dev dependencies of the repository (and optional peers) stay out of the image.
    expect(existsSync(path.join(modules, "vitest"))).toBe(false);
    expect(existsSync(path.join(modules, "typescript"))).toBe(false);
  });

  it("prints the boot usage from its entrypoint", async () => {
    const { stdout } = await exec(image.entrypoint[0]!, [...image.entrypoint.slice(1), "--help"], { env: { ...process.env, ...image.env } });
    expect(stdout).toContain("Usage: beam-ts boot --id=<worker id> --provision_endpoint=<host:port>");
  });

  it.skipIf(prism === "")("boots the workers of a job on Prism through its entrypoint, with Beam's boot flags (needs prism)", async () => {
    const output = path.join(work, "words.txt");
    const config = JSON.stringify({ command: image.entrypoint[0], env: image.env });
    const exit = await cli([
      "run",
      path.join(root, "test", "portable", "fixtures", "word-pids.ts"),
      `--output=${output}`,
      "--runner=prism",
      `--jobEndpoint=${prism}`,
      "--environmentType=PROCESS",
      `--environmentConfig=${config}`,
    ]);
    expect(exit, exit.stderr).toMatchObject({ code: 0 });
    const submitter = Number(/submitter pid=(\d+) state=DONE/.exec(exit.stdout)?.[1]);
    const lines = readFileSync(output, "utf8").trim().split("\n");
    expect(lines.map((l) => l.replace(/ pid=\d+$/, "")).sort()).toEqual(["a=1", "cat=2", "hat=1", "the=2"]);
    // The DoFns ran in worker processes, neither the submitter nor this test.
    for (const pid of new Set(lines.map((l) => Number(/pid=(\d+)$/.exec(l)?.[1])))) {
      expect([process.pid, submitter]).not.toContain(pid);
    }
  }, 180_000);
});
