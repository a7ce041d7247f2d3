/**
 * The manifest of a batch: a JSONL file with one line per finished or failed item (its key, output, request
 * ids, error) and one summary line per run. It is appended to, never rewritten, so a crash loses at most the
 * line being written; a rerun reads it to skip what is done.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BatchOutputError } from './batch-errors.js';
import type { BatchJob } from './batch-job.js';

/** Why an item failed, as written to the manifest. */
export interface BatchItemError {
  /** The error's stable code (`TLA_ERR_…`), or the file system's (`ENOENT`), or null. */
  readonly code: string | null;
  readonly message: string;
  /** HTTP status for API errors, else null. */
  readonly status: number | null;
  readonly requestId: string | null;
}

/** One manifest line about one item. */
export interface BatchRecord {
  readonly type: 'item';
  /** The job's key ({@link batchJobKey}): same input and options, same key. */
  readonly key: string;
  readonly name: string;
  readonly kind: 'transcribe' | 'translate' | 'speak';
  readonly output: string;
  readonly status: 'done' | 'failed';
  /** Every request id of the item (keep them for support); empty for speech from the cache. */
  readonly requestIds: readonly string[];
  readonly error: BatchItemError | null;
  readonly warning: string | null;
  readonly fromCache: boolean;
  /** Attempts made (a rate-limited attempt that was put back counts). */
  readonly attempts: number;
  readonly durationMs: number;
  /** Estimated cost in USD when the cost meter knew it, else null. */
  readonly costUsd: number | null;
  /** Where `costUsd` comes from when not from the answer's usage (an estimate, the speech cache), or why it is null; null when metered from the usage or not metered. */
  readonly costNote?: string | null | undefined;
  /** Where it ran: `local`, or the queue worker's id. */
  readonly worker: string;
  /** ISO time the item finished. */
  readonly at: string;
}

/**
 * The manifest line of a finished item, with the defaults every runner starts from (no request ids, no error,
 * not cached, cost unknown); `fields` fills in what the run learned. One builder for the local batch and the queue.
 */
export function batchRecord<S extends string>(
  item: { key: string; job: Pick<BatchJob, 'name' | 'kind' | 'output'>; status: S; attempts: number; startedAt: number; worker: string },
  fields: Partial<BatchRecord>,
): Omit<BatchRecord, 'status'> & { readonly status: S } {
  return {
    type: 'item',
    key: item.key,
    name: item.job.name,
    kind: item.job.kind,
    output: item.job.output,
    requestIds: [],
    error: null,
    warning: null,
    fromCache: false,
    attempts: item.attempts,
    durationMs: Math.round(performance.now() - item.startedAt),
    costUsd: null,
    worker: item.worker,
    at: new Date().toISOString(),
    ...fields,
    status: item.status,
  };
}

/** The line appended at the end of each run. */
export interface BatchSummaryRecord {
  readonly type: 'summary';
  readonly at: string;
  readonly total: number;
  readonly done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly notStarted: number;
  readonly stoppedBy: string | null;
  readonly durationMs: number;
  /** Sum of the items' costs this run, USD (null when not metered). */
  readonly costUsd: number | null;
  /** Items finished this run whose cost is unknown (the sum is then a lower bound). */
  readonly unpricedItems?: number | undefined;
}

/** An open manifest: what earlier runs finished, and an appender for this run. */
export class BatchManifest {
  readonly path: string;
  /** Output path → the last record about it. */
  readonly #latest = new Map<string, { key: string; status: 'done' | 'failed' }>();
  #fh: FileHandle | undefined;
  #tail: Promise<void> = Promise.resolve();

  private constructor(file: string) {
    this.path = file;
  }

  /**
   * Opens `file` for appending (creating it and its directory), after reading what it already records.
   * Lines that are not JSON (a line cut short by a crash) are ignored.
   * @throws BatchOutputError when the file cannot be created or written.
   */
  static async open(file: string): Promise<BatchManifest> {
    const manifest = new BatchManifest(path.resolve(file));
    try {
      const lines = createInterface({ input: createReadStream(manifest.path, { encoding: 'utf8' }), crlfDelay: Infinity });
      for await (const line of lines) manifest.#remember(line);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BatchOutputError(manifest.path, e);
    }
    try {
      await mkdir(path.dirname(manifest.path), { recursive: true });
      manifest.#fh = await open(manifest.path, 'a');
    } catch (e) {
      throw new BatchOutputError(manifest.path, e);
    }
    return manifest;
  }

  #remember(line: string): void {
    if (line.trim() === '') return;
    let record: Partial<BatchRecord>;
    try {
      record = JSON.parse(line) as Partial<BatchRecord>;
    } catch {
      return;
    }
    if (record.type !== 'item' || typeof record.output !== 'string' || typeof record.key !== 'string') return;
    if (record.status !== 'done' && record.status !== 'failed') return;
    this.#latest.set(record.output, { key: record.key, status: record.status });
  }

  /** True when an earlier run finished `output` with this `key` (same input, same options). */
  isDone(output: string, key: string): boolean {
    const last = this.#latest.get(output);
    return last !== undefined && last.status === 'done' && last.key === key;
  }

  /** The key an earlier run recorded for `output`, whatever its status. */
  keyOf(output: string): string | undefined {
    return this.#latest.get(output)?.key;
  }

  /**
   * Appends one line (lines are written one at a time, in call order, each complete).
   * @throws BatchOutputError when the write fails (disk full, …).
   */
  append(record: BatchRecord | BatchSummaryRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.#tail.then(async () => {
      if (!this.#fh) throw new BatchOutputError(this.path, new Error('the manifest is closed'));
      try {
        await this.#fh.write(line);
      } catch (e) {
        throw new BatchOutputError(this.path, e, record.type === 'item' ? record.requestIds : []);
      }
      if (record.type === 'item') this.#latest.set(record.output, { key: record.key, status: record.status });
    });
    this.#tail = write.catch(() => {});
    return write;
  }

  /** Flushes and closes the file. Idempotent. */
  async close(): Promise<void> {
    await this.#tail;
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}
