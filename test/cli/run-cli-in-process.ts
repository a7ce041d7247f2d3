import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import type { CliRun } from './run-cli-process.js';

/** What {@link runCliInProcess} returns: the exit code and both streams as text, plus stdout's raw bytes. */
export interface CliInProcessRun extends CliRun {
  code: number;
  /** stdout as bytes (for `-o -`, where the output is audio, not text). */
  stdoutBytes: Buffer;
}

export interface CliInProcessOptions {
  /** Added to the environment (which starts as this process's, minus every TOKENLAB_ variable). */
  env?: Record<string, string>;
  /** The working directory the command resolves relative paths against (default: this process's). */
  cwd?: string;
  /** Text or bytes on stdin (stdin ends after it; empty when absent). */
  input?: string | Buffer;
  /** Stands in for Ctrl-C: aborting it is what the executable does on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Presents stderr as a terminal of this width (the progress line draws only on a TTY). */
  ttyColumns?: number;
}

/**
 * Runs one `tokenlab-audio` invocation through `runCli` in this process, with the same environment rule as
 * {@link runCliProcess} (no TOKENLAB_ variable leaks in from the developer's shell). This is the entry point the
 * executable calls, minus the process's signal handlers and exit: use the child process only for cases about
 * those (signals, the bin launcher, process exit codes); everything else runs here, which is fast and counted
 * by coverage.
 */
export async function runCliInProcess(args: string[], options: CliInProcessOptions = {}): Promise<CliInProcessRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TOKENLAB_')) env[k] = v;
  Object.assign(env, options.env);
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), options.ttyColumns === undefined ? {} : { isTTY: true, columns: options.ttyColumns });
  const stdin = new PassThrough();
  stdin.end(options.input ?? '');
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const io: CliIo = { stdout, stderr, stdin, env, signal: options.signal ?? new AbortController().signal, cwd: options.cwd ?? process.cwd() };
  const code = await runCli(args, io);
  // Everything written before runCli returned has arrived once both streams have ended and been read.
  for (const stream of [stdout, stderr]) if (!stream.writableEnded) stream.end();
  await Promise.all([finished(stdout), finished(stderr)]);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString('utf8'), stderr: err, stdoutBytes };
}
