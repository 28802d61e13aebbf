import type { JobSnapshot } from "../pipeline/index.js";

/** Where progress goes: a stream, and whether it is a terminal (then the line is redrawn in place). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Whether a job is batch: every PCollection bounded (a streaming job has no fraction done). */
export function isBatch(snap: JobSnapshot): boolean {
  return snap.graph.pcollections.every((pc) => pc.bounded);
}

/**
 * How far a batch job got, from its sources: the mean fraction done of sources that report
 * one (splittable reads: file bytes, offset ranges), else finished sources over all.
 * Undefined when the job has no source to judge by.
 */
export function fractionDone(snap: JobSnapshot): number | undefined {
  const known = snap.sources.filter((s) => s.fractionDone !== undefined);
  if (known.length > 0) return known.reduce((n, s) => n + s.fractionDone!, 0) / known.length;
  if (snap.stages.length === 0) return undefined;
  return snap.stages.filter((s) => s.done).length / snap.stages.length;
}

/** Elements the job's bundles started with, over every stage: the work done, in elements. */
function elementsProcessed(snap: JobSnapshot): number {
  return snap.stages.reduce((n, s) => n + s.elements, 0);
}

const number = (n: number) => Math.round(n).toLocaleString("en-US");

function duration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * One progress line: a bar of the fraction done, elements per second and the time left
 * at that pace, cut to `columns`.
 */
export function progressLine(snap: JobSnapshot, columns = 80): string {
  const elapsed = Math.max(1, snap.takenAt - snap.job.startTime);
  const fraction = fractionDone(snap);
  const rate = (elementsProcessed(snap) * 1000) / elapsed;
  const parts: string[] = [];
  if (fraction !== undefined) {
    const width = 20;
    const filled = Math.min(width, Math.round(fraction * width));
    parts.push(`[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  }
  parts.push(`${number(rate)} elements/s`);
  if (fraction !== undefined && fraction > 0 && fraction < 1) parts.push(`ETA ${duration((elapsed * (1 - fraction)) / fraction)}`);
  parts.push(duration(elapsed));
  const line = `${snap.job.name} ${parts.join(" · ")}`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

/**
 * The one line printed when a job ends: its state, how long it took, and the elements each
 * top-level transform output (what a user named; its primitives are in the snapshot).
 */
export function summaryLine(snap: JobSnapshot): string {
  const end = snap.job.endTime ?? snap.takenAt;
  const top = snap.graph.transforms.filter((t) => t.parent === undefined);
  const producers = new Map<string, number>();
  for (const t of snap.graph.transforms) {
    if (t.kind === "composite") continue;
    const step = snap.steps.find((s) => s.label === t.label);
    if (step?.elementsOut !== undefined) for (const pc of t.outputs) producers.set(pc, step.elementsOut);
  }
  const counts = top.flatMap((t) => {
    // A composite's outputs are its inner primitives' outputs.
    const out = t.outputs.reduce<number | undefined>((n, pc) => (producers.has(pc) ? (n ?? 0) + producers.get(pc)! : n), undefined);
    return out === undefined ? [] : [`${t.label} ${number(out)}`];
  });
  const steps = counts.length > 0 ? ` · elements out: ${counts.join(", ")}` : "";
  return `beam-ts: ${snap.job.name} ${snap.job.state} in ${duration(end - snap.job.startTime)}${steps}`;
}

/**
 * Progress of a batch job on a terminal: the line redrawn in place every `intervalMs`
 * while the job runs (only when the stream is a TTY), then the summary line, which is all
 * that non-TTY output (a log file, CI) gets.
 */
export class JobProgress {
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly snapshot: () => JobSnapshot,
    private readonly stream: ProgressStream,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    if (this.stream.isTTY !== true) return;
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
  }

  draw(): void {
    const snap = this.snapshot();
    if (!isBatch(snap)) return;
    this.stream.write(`\r\x1b[2K${progressLine(snap, this.stream.columns ?? 80)}`);
    this.drawn = true;
  }

  /** Stops redrawing, clears the line, prints the summary. */
  finish(): void {
    clearInterval(this.timer);
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.stream.write(`${summaryLine(this.snapshot())}\n`);
  }
}
