import { ConstructionError, describeValue, isKv, type BoundedWindow, type Coder, type Duration, type Instant, type KV } from "../../model/index.js";
import { encodeToBytes } from "../../coders/index.js";
import { PTransform, type PCollection, type PValue } from "../../pipeline/index.js";
import {
  FAILURES_TAG,
  parDo,
  type BadRecord,
  type DoFn,
  type DoFnMetrics,
  type ErrorHandler,
  type ExceptionHandlingOptions,
  type FinishBundleContext,
  type ProcessContext,
  type WithFailures,
} from "../../transforms/index.js";
import { reportReconnects } from "./metrics.js";
import { RedisSession, resolveRedisConnection, type RedisConnection, type ResolvedRedisConnection } from "./redis-connection.js";
import { redisLineage } from "./redis-lineage.js";
import { RedisIOError, messageOf } from "./redis-io-error.js";
import { InvalidRedisElementError, REDIS_WRITE_COMMANDS, commandsFor, type CommandSettings, type RedisCommandValues, type RedisWriteCommand } from "./write-commands.js";

/** Options of writeToRedis for a PCollection of `KV<string, value>`. */
export interface WriteToRedisOptions<C extends RedisWriteCommand> {
  readonly connection: RedisConnection;
  /** The command each element is written with (see RedisCommandValues for the value types). */
  readonly command: C;
  /**
   * Expire written keys after this many ms (Beam's `withExpireTime`): SET ... PX, or a
   * PEXPIRE after the other commands (which restarts the key's expiry at every write).
   */
  readonly ttl?: Duration;
  /** Elements per MULTI/EXEC batch (Beam's 1000, the default); a bundle's last batch is sent in finishBundle. */
  readonly batchSize?: number;
  /** `xadd` only: trim the stream to about (approximateTrim) or exactly this many entries (MAXLEN). */
  readonly maxLen?: number;
  /** `xadd` only, with maxLen: MAXLEN ~ (default true, cheaper) or MAXLEN = (exact). */
  readonly approximateTrim?: boolean;
}

/** Options of writeToRedis for any element type: the key and value come from functions. */
export interface WriteToRedisFnOptions<T, C extends RedisWriteCommand> extends WriteToRedisOptions<C> {
  readonly keyFn: (element: T) => string;
  readonly valueFn: (element: T) => RedisCommandValues[C];
}

/**
 * The Redis write transform: returns an empty PCollection (Beam's PDone), or with
 * `withExceptionHandling` the elements Redis rejected or that cannot be written.
 */
export interface RedisWrite<T> extends PTransform<PCollection<T>, PCollection<never>> {
  /**
   * Elements that cannot be written go to a `failures` output of BadRecords instead of
   * failing the job: a key or value the command cannot take, a keyFn/valueFn that throws,
   * and an element whose command Redis rejected (e.g. WRONGTYPE: INCRBY on a hash). A lost
   * connection still fails the bundle (it is retried): it is not the element's fault.
   *
   * @example const { failures } = counts.apply(writeToRedis({ connection, command: "incrby" }).withExceptionHandling());
   */
  withExceptionHandling(options: ExceptionHandlingOptions & { readonly errorHandler: ErrorHandler }): PTransform<PCollection<T>, PCollection<never>>;
  withExceptionHandling(options?: ExceptionHandlingOptions): PTransform<PCollection<T>, WithFailures<PCollection<never>>>;
}

/**
 * Beam's RedisIO.write (and writeStreams): writes each element with one Redis command,
 * `command` deciding which and the element type (RedisCommandValues): `KV<string, value>`
 * elements, or any elements with `keyFn` and `valueFn`. Commands are sent in MULTI/EXEC
 * batches of `batchSize` elements, the last batch of a bundle in finishBundle, so a bundle
 * succeeds only once Redis has applied all its writes.
 *
 * At-least-once: a bundle that fails (a lost connection, a later step of the same stage)
 * is retried whole, and batches Redis had already applied are applied again. That is
 * harmless for `set`, `hset`, `sadd` and `pfadd`, but counts twice with `incrby`/`decrby`,
 * appends twice with `append`, `lpush`/`rpush`, and adds entries twice with `xadd`
 * (see the connector's README).
 *
 * @example
 * counts.apply(writeToRedis({ connection: { url: new Secret(url) }, command: "incrby" }));      // KV<string, number>
 * @example
 * users.apply(writeToRedis({ connection, command: "hset", keyFn: (u: User) => `user:${u.id}`, valueFn: (u) => ({ name: u.name }) }));
 */
export function writeToRedis<C extends RedisWriteCommand>(
  options: WriteToRedisOptions<C> & { readonly keyFn?: undefined; readonly valueFn?: undefined },
): RedisWrite<KV<string, RedisCommandValues[C]>>;
export function writeToRedis<T, C extends RedisWriteCommand>(options: WriteToRedisFnOptions<T, C>): RedisWrite<T>;
export function writeToRedis<T, C extends RedisWriteCommand>(options: WriteToRedisOptions<C> & Partial<WriteToRedisFnOptions<T, C>>): RedisWrite<T> {
  return new WriteToRedis<T>(resolveWriteSettings<T>(options as WriteToRedisOptions<RedisWriteCommand> & Partial<WriteToRedisFnOptions<T, RedisWriteCommand>>), undefined);
}

/** @internal writeToRedis's options, checked. */
export interface WriteSettings<T> extends CommandSettings {
  readonly connection: ResolvedRedisConnection;
  readonly batchSize: number;
  readonly keyFn: ((element: T) => unknown) | undefined;
  readonly valueFn: ((element: T) => unknown) | undefined;
}

function resolveWriteSettings<T>(options: WriteToRedisOptions<RedisWriteCommand> & Partial<WriteToRedisFnOptions<T, RedisWriteCommand>>): WriteSettings<T> {
  const what = "writeToRedis";
  if (typeof options !== "object" || options === null) throw new ConstructionError(`${what} needs options: { connection, command }.`);
  const connection = resolveRedisConnection(what, options.connection);
  const { command } = options;
  if (!REDIS_WRITE_COMMANDS.includes(command)) {
    throw new ConstructionError(`${what}: command must be one of ${REDIS_WRITE_COMMANDS.map((c) => `"${c}"`).join(", ")}; got ${describeValue(command)}.`);
  }
  const { ttl, maxLen, approximateTrim, keyFn, valueFn } = options;
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl > 0)) {
    throw new ConstructionError(`${what}: ttl is in milliseconds and must be a positive integer (e.g. Durations.minutes(5)), got ${String(ttl)}.`);
  }
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ConstructionError(`${what}: batchSize must be a positive integer, got ${String(batchSize)}.`);
  if (command !== "xadd" && (maxLen !== undefined || approximateTrim !== undefined)) {
    throw new ConstructionError(`${what}: maxLen and approximateTrim trim streams and apply only to command "xadd", not "${command}".`);
  }
  if (maxLen !== undefined && !(Number.isSafeInteger(maxLen) && maxLen >= 0)) {
    throw new ConstructionError(`${what}: maxLen must be an integer >= 0 (0: no trimming), got ${String(maxLen)}.`);
  }
  if ((keyFn === undefined) !== (valueFn === undefined) || (keyFn !== undefined && typeof keyFn !== "function") || (valueFn !== undefined && typeof valueFn !== "function")) {
    throw new ConstructionError(`${what}: give both keyFn and valueFn (functions of the element), or neither to write KV<string, value> elements.`);
  }
  return { connection, command, ttl, maxLen: maxLen ?? 0, approximateTrim: approximateTrim ?? true, batchSize, keyFn, valueFn };
}

class WriteToRedis<T> extends PTransform<PCollection<T>, PValue> implements RedisWrite<T> {
  constructor(
    private readonly settings: WriteSettings<T>,
    private readonly exceptionHandling: ExceptionHandlingOptions | undefined,
  ) {
    super("WriteToRedis");
  }

  withExceptionHandling(options: ExceptionHandlingOptions & { readonly errorHandler: ErrorHandler }): PTransform<PCollection<T>, PCollection<never>>;
  withExceptionHandling(options?: ExceptionHandlingOptions): PTransform<PCollection<T>, WithFailures<PCollection<never>>>;
  withExceptionHandling(options: ExceptionHandlingOptions = {}): PTransform<PCollection<T>, PValue> {
    return new WriteToRedis<T>(this.settings, options);
  }

  expand(input: PCollection<T>): PCollection<never> & WithFailures<PCollection<never>> {
    const label = input.pipeline.currentLabel();
    const coder = input.coder as Coder<unknown>;
    if (this.exceptionHandling === undefined) {
      const fn = new RedisWriteFn<T>(this.settings, `${label}/Write`, false, coder);
      return input.apply("Write", parDo<T, never>(fn)) as never;
    }
    // withExceptionHandling nests the ParDo (named after the DoFn) in a composite "Write";
    // the DoFn labels the dead letters it emits in finishBundle as the wrapper labels its own.
    const fn = new RedisWriteFn<T>(this.settings, "", true, coder);
    const write = parDo<T, never>(fn);
    fn.step = `${label}/Write/${write.name}`;
    return input.apply("Write", write.withExceptionHandling(this.exceptionHandling)) as never;
  }
}

/** Batches a DoFn instance sends before it waits for one to be applied. */
const MAX_BATCHES_IN_FLIGHT = 16;

/** An element waiting in a batch, with what a dead letter of it needs. */
interface Pending {
  readonly element: unknown;
  readonly commands: readonly (readonly string[])[];
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/** An element Redis rejected, emitted as a dead letter in finishBundle. */
interface Rejected {
  readonly record: BadRecord;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/** node-redis's MultiErrorReply: the EXEC answered, some commands with errors. */
function commandErrors(err: unknown): { readonly replies: readonly unknown[]; readonly errorIndexes: readonly number[] } | undefined {
  const e = err as { replies?: unknown; errorIndexes?: unknown };
  return Array.isArray(e?.replies) && Array.isArray(e.errorIndexes) ? (e as { replies: unknown[]; errorIndexes: number[] }) : undefined;
}

/**
 * Writes elements in MULTI/EXEC batches. A batch is sent when it is full (up to
 * MAX_BATCHES_IN_FLIGHT at a time, in order on the one connection) and the last one in
 * finishBundle, which also waits for every batch of the bundle: the
 * bundle commits only after Redis applied them all. A failure to send (a lost connection
 * the client could not restore) is kept and thrown from finishBundle, so the whole bundle
 * fails and is retried; it never becomes a dead letter of the element that happened to fill
 * the batch.
 */
class RedisWriteFn<T> implements DoFn<T, never, { failures: BadRecord }> {
  private session: RedisSession | undefined;
  private batch: Pending[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failure: unknown;
  private rejected: Rejected[] = [];

  constructor(
    readonly settings: WriteSettings<T>,
    /** The full label of the ParDo, for messages and dead letters. */
    public step: string,
    readonly deadLetter: boolean,
    readonly inputCoder: Coder<unknown>,
  ) {}

  async setup(): Promise<void> {
    this.session = await RedisSession.open(this.step, this.settings.connection);
  }

  startBundle(): void {
    this.batch = [];
    this.failure = undefined;
    this.rejected = [];
    // The database, not each key: keys come from the elements, and one name per key would grow without bound.
    redisLineage("sinks", this.settings.connection);
  }

  process(element: T, ctx: ProcessContext<never, { failures: BadRecord }>): void | Promise<void> {
    const { keyFn, valueFn } = this.settings;
    let key: unknown;
    let value: unknown;
    if (keyFn !== undefined && valueFn !== undefined) {
      key = keyFn(element);
      value = valueFn(element);
    } else if (isKv(element)) {
      ({ key, value } = element);
    } else {
      throw this.invalid(element, new InvalidRedisElementError("the element is not a KV ({ key, value }); give keyFn and valueFn to write other elements"));
    }
    let commands: string[][];
    try {
      commands = commandsFor(this.settings, key, value);
    } catch (err) {
      if (err instanceof InvalidRedisElementError) throw this.invalid(element, err);
      throw err;
    }
    // After a failed send the bundle fails in finishBundle: nothing more is sent.
    if (this.failure !== undefined) return;
    this.batch.push({ element, commands, timestamp: ctx.timestamp, window: ctx.window });
    if (this.batch.length < this.settings.batchSize) return;
    void this.flush(ctx.metrics);
    // Batches are sent without waiting (a promise from process would put the runner's
    // operation in its slower async mode for good); past MAX_BATCHES_IN_FLIGHT it waits.
    if (this.inflight.size >= MAX_BATCHES_IN_FLIGHT) return Promise.race(this.inflight);
  }

  async finishBundle(ctx: FinishBundleContext<never, { failures: BadRecord }>): Promise<void> {
    if (this.batch.length > 0 && this.failure === undefined) void this.flush(ctx.metrics);
    await Promise.all([...this.inflight]);
    if (this.failure !== undefined) throw this.failure;
    for (const r of this.rejected) ctx.outputTo(FAILURES_TAG as "failures", r.record, r.timestamp, r.window);
    this.rejected = [];
  }

  async teardown(): Promise<void> {
    // Batches still in flight (a bundle that failed elsewhere) finish before the connection goes.
    await Promise.allSettled([...this.inflight]);
    this.session?.close();
    this.session = undefined;
  }

  private invalid(element: unknown, err: InvalidRedisElementError): RedisIOError {
    return new RedisIOError(
      `"${this.step}" cannot write ${describeValue(element, 120)} with ${this.settings.command.toUpperCase()}: ${err.message}. ` +
        `Fix the element (or keyFn/valueFn), or use writeToRedis(...).withExceptionHandling() to send such elements to a failures output.`,
      { cause: err, retryable: false },
    );
  }

  /** Sends the current batch; never rejects (a failure is kept for finishBundle). */
  private flush(metrics: DoFnMetrics): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    const sent: Promise<void> = this.send(batch, metrics).finally(() => this.inflight.delete(sent));
    this.inflight.add(sent);
    return sent;
  }

  private async send(batch: readonly Pending[], metrics: DoFnMetrics): Promise<void> {
    const session = this.session!;
    const multi = session.client.multi();
    const owner: number[] = [];
    batch.forEach((p, i) => {
      for (const c of p.commands) {
        multi.addCommand(c);
        owner.push(i);
      }
    });
    try {
      await multi.exec();
    } catch (err) {
      const errors = commandErrors(err);
      if (errors === undefined) {
        this.failure ??= new RedisIOError(
          `"${this.step}" could not write a batch of ${batch.length} elements to Redis at ${session.connection.address}: ${messageOf(err)}. ` +
            `The bundle is retried; batches Redis had already applied are applied again (at-least-once).`,
          { cause: err },
        );
      } else {
        const seen = new Set<number>();
        for (const index of errors.errorIndexes) {
          const i = owner[index]!;
          if (seen.has(i)) continue;
          seen.add(i);
          this.reject(batch[i]!, errors.replies[index]);
        }
      }
    } finally {
      reportReconnects(session, metrics);
    }
  }

  /** An element whose command Redis answered with an error: a dead letter, or the bundle's failure. */
  private reject(p: Pending, reply: unknown): void {
    const command = p.commands[0]!;
    const why = messageOf(reply);
    if (!this.deadLetter) {
      this.failure ??= new RedisIOError(
        `"${this.step}": Redis rejected ${command[0]} for key ${JSON.stringify(command[1]).slice(0, 120)} of ${describeValue(p.element, 120)}: ${why}. ` +
          `The other elements of its batch were written. Fix the data (e.g. a key of another type), or use ` +
          `writeToRedis(...).withExceptionHandling() to send such elements to a failures output.`,
        { cause: reply, retryable: false },
      );
      return;
    }
    let encoded: Uint8Array | undefined;
    try {
      encoded = encodeToBytes(this.inputCoder, p.element);
    } catch {
      encoded = undefined;
    }
    const e = reply instanceof Error ? reply : undefined;
    this.rejected.push({
      timestamp: p.timestamp,
      window: p.window,
      record: {
        step: this.step,
        element: { preview: describeValue(p.element), encoded, coder: this.inputCoder.urn },
        error: {
          type: e?.name ?? typeof reply,
          message: why,
          stack: "",
          description: `Redis rejected ${command[0]} for key ${JSON.stringify(command[1]).slice(0, 120)}`,
        },
        window: p.window.toString(),
        timestamp: p.timestamp,
        attempt: 1,
        failedAt: Date.now(),
      },
    });
  }
}
