import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tokenlab-audio.cjs');
/**
 * The CLI of this tree bundled by test/global-setup.ts (esbuild, dependencies external) at the same depth below
 * the package root as src/cli and dist/cjs, so package-relative lookups resolve alike. Starting it costs a
 * fraction of running the TypeScript source through tsx, which matters on a loaded 2-core machine.
 */
export const CLI_BUNDLE = path.join(ROOT, 'test', '.fixtures', 'tokenlab-audio-cli.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child CLI: this process's minus every TOKENLAB_ variable, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TOKENLAB_')) out[k] = v;
  return Object.assign(out, env);
}

/**
 * Starts the CLI of this tree as a child process (the code in this tree, never a possibly stale dist/): the
 * bundle global setup built, or the source through bin/ and tsx when there is no bundle (a run without the
 * global setup). For cases about the process itself: signals, exit codes, the launcher.
 */
export function spawnCli(args: string[], options: { env?: Record<string, string>; cwd?: string; stdio?: StdioOptions } = {}): ChildProcess {
  const env = cliEnv(options.env);
  const bundled = existsSync(CLI_BUNDLE);
  if (!bundled) env['TOKENLAB_AUDIO_CLI_SOURCE'] = '1';
  return spawn(process.execPath, [bundled ? CLI_BUNDLE : BIN, ...args], { env, cwd: options.cwd ?? process.cwd(), stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'] });
}

/**
 * Runs the `tokenlab-audio` CLI of this tree as a child process and collects its output. The environment
 * starts empty of TokenLab variables. `viaBin` runs bin/tokenlab-audio.cjs as a user would (dist/ when built,
 * else the source through tsx): the launcher's own test.
 */
export function runCliProcess(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string; viaBin?: boolean } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = options.viaBin ? spawn(process.execPath, [BIN, ...args], { env: cliEnv(options.env), cwd: options.cwd ?? process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] }) : spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(options.input ?? '');
  });
}
