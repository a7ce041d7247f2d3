import type { Writable } from 'node:stream';

/** Where a CLI run reads and writes: the process's streams in real use, others in tests. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Working directory for relative paths. */
  cwd: string;
}

/** Options every command shares. */
export interface CommonFlags {
  json: boolean;
  quiet: boolean;
  baseURL: string | undefined;
  apiKey: string | undefined;
  /** `--timeout`: the overall deadline of each API call, ms (else `TOKENLAB_TIMEOUT`, else the operation's default). */
  timeoutMs?: number | undefined;
}

/** Prints a line on stderr unless quiet or in JSON mode (human progress and status go there, results to stdout). */
export function status(io: CliIo, flags: Pick<CommonFlags, 'json' | 'quiet'>, line: string): void {
  if (!flags.json && !flags.quiet) io.stderr.write(`${line}\n`);
}

/** Writes a JSON document on stdout (the `--json` output: one document per run). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export { formatBytes } from '../core/format-bytes.js';

/** Milliseconds as `123 ms` or `1.23 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
