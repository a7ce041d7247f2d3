/**
 * What the producer and the workers keep in Redis beside BullMQ's own keys, per batch:
 * - `status` / `results`: job id → final status and its manifest record, written by one Lua script that never
 *   overwrites a `done` (a retried or duplicated job cannot record twice) and counts completions;
 * - `inflight`: job id → the billable request being made (set before sending, removed when the result is
 *   recorded), so a worker that takes over a job can tell that a charge may already have happened;
 * - `suspect`: job id → the possible double charges found that way;
 * - `stop`: why the batch stopped (402, key refused, output unwritable), read by every worker;
 * - `meta` / `jobs`: the batch's size and each job's name and output, for reports.
 */
import { createHash } from 'node:crypto';
import type { RedisOptions } from 'bullmq';
import type { BatchRecord } from '../jobs/batch/batch-manifest.js';
import { QueueConnectionError } from './queue-errors.js';

/** The subset of bullmq's Redis client the queue uses (the same across its ioredis, node-redis and Bun adapters). */
export interface QueueRedis {
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, data: Record<string, string | number>): Promise<number>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string | number): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  runCommand(name: string, args: unknown[]): Promise<unknown>;
}

/** Default BullMQ queue name. */
export const DEFAULT_QUEUE_NAME = 'tokenlab-audio';

/** A batch id: letters, digits, `.`, `_` and `-`, 1 to 100 characters. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** The BullMQ job id of a job: from its key (content + options) and its output, so the same work is one job. */
export function queueJobId(key: string, output: string): string {
  // BullMQ refuses ids with ':' and ids that are integers: a letter prefix and hex digits are neither.
  return `j${createHash('sha256').update(`${key}\n${output}`).digest('hex').slice(0, 48)}`;
}

/** BullMQ job names of a long file's jobs: one per piece, and the merge (their flow parent). */
export const LONG_PIECE_JOB = 'long-piece';
export const LONG_MERGE_JOB = 'long-merge';

/**
 * The BullMQ job id of piece `index` of the long job `jobKey` under its merge job: one job per piece per item
 * (BullMQ links a flow's children by id, so another item of the same file needs its own). The work itself is
 * shared: a piece whose result is saved answers from it, whichever job runs it.
 */
export function pieceJobId(jobKey: string, index: number, mergeJobId: string): string {
  return `p${jobKey}-${index}-${mergeJobId.slice(1, 17)}`;
}

/** True for ids made by {@link pieceJobId}. */
export function isPieceJobId(id: string): boolean {
  return /^p[0-9a-f]+-\d+-[0-9a-f]+$/.test(id);
}

/** The Redis keys of one batch. */
export function batchKeys(queueName: string, batchId: string) {
  const base = `tla:${queueName}:${batchId}`;
  return {
    meta: `${base}:meta`,
    jobs: `${base}:jobs`,
    status: `${base}:status`,
    results: `${base}:results`,
    completions: `${base}:completions`,
    inflight: `${base}:inflight`,
    suspect: `${base}:suspect`,
    stop: `${base}:stop`,
  };
}

/** The keys of a batch, as {@link batchKeys} returns them. */
export type BatchKeys = ReturnType<typeof batchKeys>;

// KEYS: status, results, completions, inflight. ARGV: job id, status, record JSON.
// A `done` is final; anything else may be replaced (a resubmitted failure). Returns 1 when written.
const RECORD_RESULT_LUA = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == 'done' then
  redis.call('HDEL', KEYS[4], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[2] == 'done' then redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
`;

const RECORD_RESULT = 'tlaRecordResult';

/** Final statuses a job can have in the queue. */
export type QueueJobStatus = 'done' | 'failed' | 'not-started';

/** A record as kept in Redis: a manifest record, or one for a job the batch's stop kept from starting. */
export type QueueRecord = BatchRecord | (Omit<BatchRecord, 'status'> & { readonly status: 'not-started' });

/** Registers the Lua scripts on a connection (idempotent). */
export function defineQueueScripts(redis: QueueRedis): void {
  redis.defineCommand(RECORD_RESULT, { numberOfKeys: 4, lua: RECORD_RESULT_LUA });
}

/** Records a job's final status once (a `done` is never overwritten). Returns true when this call wrote it. */
export async function recordResult(redis: QueueRedis, keys: BatchKeys, jobId: string, record: QueueRecord): Promise<boolean> {
  const written = await redis.runCommand(RECORD_RESULT, [keys.status, keys.results, keys.completions, keys.inflight, jobId, record.status, JSON.stringify(record)]);
  return Number(written) === 1;
}

/** What {@link parseRedisUrl} returns: bullmq/ioredis connection options, and the URL with its password hidden. */
export interface ParsedRedisUrl {
  readonly options: RedisOptions;
  /** For messages: the URL with any password replaced by `***`. */
  readonly safeUrl: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) into connection options.
 * @throws QueueConnectionError for anything else.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueConnectionError(`Not a Redis URL: ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}; expected redis://host:6379 or rediss://user:password@host:6380/0.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueConnectionError(`A Redis URL starts with redis:// or rediss:// (got ${u.protocol}//).`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new QueueConnectionError(`The Redis database in the URL must be a number (got ${u.pathname.slice(1)}).`);
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    // BullMQ's workers block on Redis: they need ioredis to retry commands for ever, not fail them.
    maxRetriesPerRequest: null,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const safe = new URL(u.href);
  if (safe.password) safe.password = '***';
  return { options, safeUrl: safe.href };
}
