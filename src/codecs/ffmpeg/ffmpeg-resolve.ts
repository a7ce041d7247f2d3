import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FfmpegError, FfmpegNotFoundError, type FfmpegCandidate } from './ffmpeg-errors.js';

/** Where a resolved ffmpeg came from, in resolution order. */
export type FfmpegSource = 'option' | 'FFMPEG_PATH' | 'ffmpeg-static' | 'PATH' | '@ffmpeg-installer/ffmpeg';

/** An ffmpeg binary we found, and which rule found it. */
export interface ResolvedFfmpeg {
  /** Absolute (or as-given) path to the executable. */
  readonly path: string;
  readonly source: FfmpegSource;
}

/** Options shared by every function that runs ffmpeg. */
export interface FfmpegLocateOptions {
  /**
   * An explicit ffmpeg executable: a path, or a bare command name looked up on PATH. When given it is
   * the only candidate: if it is not usable we throw rather than silently pick another ffmpeg.
   */
  ffmpegPath?: string | undefined;
}

// Not named `require`: in the CommonJS build that name is the module wrapper's own parameter.
const requireFromHere = createRequire(import.meta.url);

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function whyNotExecutable(file: string): string {
  try {
    const st = statSync(file);
    if (!st.isFile()) return 'not a file';
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return 'usable';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'file does not exist';
    if (code === 'EACCES') return 'file is not executable';
    return `cannot be used (${code ?? String(err)})`;
  }
}

/** Looks a command name up on PATH (with PATHEXT on Windows). */
function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function hasPathSeparator(p: string): boolean {
  return p.includes('/') || (process.platform === 'win32' && p.includes('\\'));
}

/**
 * Finds the ffmpeg executable to use, in this order: the `ffmpegPath` option, the `FFMPEG_PATH`
 * environment variable, the `ffmpeg-static` package (when installed and its binary exists), `ffmpeg`
 * on PATH, the `@ffmpeg-installer/ffmpeg` package. Synchronous and cheap (a few `stat` calls).
 *
 * An explicit option or `FFMPEG_PATH` that does not point at an executable is an error, not a reason
 * to fall through: the caller asked for that binary.
 *
 * @throws FfmpegNotFoundError listing every candidate tried and how to install ffmpeg.
 */
export function resolveFfmpeg(options: FfmpegLocateOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedFfmpeg {
  const tried: FfmpegCandidate[] = [];

  const explicit = (source: 'option' | 'FFMPEG_PATH', value: string): ResolvedFfmpeg => {
    if (!hasPathSeparator(value)) {
      const found = findOnPath(value, env);
      if (found) return { path: found, source };
      tried.push({ source, path: value, reason: 'command not found on PATH' });
      throw new FfmpegNotFoundError(tried);
    }
    const resolved = path.resolve(value);
    if (isExecutableFile(resolved)) return { path: resolved, source };
    tried.push({ source, path: resolved, reason: whyNotExecutable(resolved) });
    throw new FfmpegNotFoundError(tried);
  };

  if (options.ffmpegPath !== undefined && options.ffmpegPath !== '') return explicit('option', options.ffmpegPath);
  tried.push({ source: 'option', path: undefined, reason: 'not given' });

  const fromEnv = env.FFMPEG_PATH;
  if (fromEnv !== undefined && fromEnv !== '') return explicit('FFMPEG_PATH', fromEnv);
  tried.push({ source: 'FFMPEG_PATH', path: undefined, reason: 'not set' });

  const staticPath = loadPackagePath('ffmpeg-static', (m) => (typeof m === 'string' ? m : (m as { default?: unknown })?.default));
  if (staticPath.path && isExecutableFile(staticPath.path)) return { path: staticPath.path, source: 'ffmpeg-static' };
  tried.push({ source: 'ffmpeg-static', path: staticPath.path, reason: staticPath.path ? whyNotExecutable(staticPath.path) : staticPath.reason });

  const onPath = findOnPath('ffmpeg', env);
  if (onPath) return { path: onPath, source: 'PATH' };
  tried.push({ source: 'PATH', path: undefined, reason: 'no ffmpeg on PATH' });

  const installer = loadPackagePath('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: unknown } | null)?.path);
  if (installer.path && isExecutableFile(installer.path)) return { path: installer.path, source: '@ffmpeg-installer/ffmpeg' };
  tried.push({
    source: '@ffmpeg-installer/ffmpeg',
    path: installer.path,
    reason: installer.path ? whyNotExecutable(installer.path) : installer.reason,
  });

  throw new FfmpegNotFoundError(tried);
}

function loadPackagePath(name: string, pick: (mod: unknown) => unknown): { path: string | undefined; reason: string } {
  let mod: unknown;
  try {
    mod = requireFromHere(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'MODULE_NOT_FOUND') return { path: undefined, reason: 'not installed' };
    // @ffmpeg-installer throws a bare string when the platform package is missing.
    return { path: undefined, reason: `failed to load (${err instanceof Error ? err.message : String(err)})` };
  }
  const p = pick(mod);
  return typeof p === 'string' && p !== '' ? { path: p, reason: '' } : { path: undefined, reason: 'installed but gave no binary path' };
}

/** What an ffmpeg binary can do, learned once by running it. */
export interface FfmpegInfo extends ResolvedFfmpeg {
  /** Version string as printed, e.g. `4.4.2-0ubuntu0.22.04.1` or `N-47683-g0e8eb07980-static`. */
  readonly version: string;
  /** Major version when the version string starts with one (e.g. 4, 6), else `undefined` (git builds). */
  readonly majorVersion: number | undefined;
  readonly encoders: ReadonlySet<string>;
  readonly decoders: ReadonlySet<string>;
  readonly muxers: ReadonlySet<string>;
  readonly demuxers: ReadonlySet<string>;
  readonly filters: ReadonlySet<string>;
}

const probeCache = new Map<string, Promise<FfmpegInfo>>();

const PROBE_TIMEOUT_MS = 15_000;

function run(ffmpeg: ResolvedFfmpeg, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ffmpeg.path, args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null };
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          reject(new FfmpegNotFoundError([{ source: ffmpeg.source, path: ffmpeg.path, reason: `could not be run (${e.code})` }], { cause: err }));
          return;
        }
        reject(
          new FfmpegError(
            `ffmpeg at ${ffmpeg.path} failed while probing its capabilities (ffmpeg ${args.join(' ')}).`,
            { exitCode: typeof e.code === 'number' ? e.code : null, signal: e.signal ?? null, stderrTail: String(stderr).slice(-4096), args },
            { cause: err },
          ),
        );
        return;
      }
      resolve(String(stdout));
    });
  });
}

/** Parses the table printed by `-encoders`, `-muxers`, … : rows of flags then a name (or comma list) after a dashed line. */
export function parseFfmpegList(text: string): Set<string> {
  const names = new Set<string>();
  const lines = text.split(/\r?\n/);
  let started = !lines.some((l) => /^\s*-{2,}\s*$/.test(l));
  for (const line of lines) {
    if (!started) {
      if (/^\s*-{2,}\s*$/.test(line)) started = true;
      continue;
    }
    const m = /^\s*([A-Z.|=]{1,8})\s+(\S+)/.exec(line);
    // Legend rows such as `T.. = Timeline support` (the filter list has no dashed separator).
    if (!m || !m[2] || m[2] === '=') continue;
    for (const name of m[2].split(',')) if (name) names.add(name);
  }
  return names;
}

/**
 * Runs the resolved ffmpeg once (asynchronously) to learn its version, encoders, decoders, muxers,
 * demuxers and filters. The result is cached per binary path; concurrent calls share one probe.
 *
 * @throws FfmpegNotFoundError when no ffmpeg is found or it cannot be executed.
 * @throws FfmpegError when it runs but fails.
 */
export function probeFfmpeg(options: FfmpegLocateOptions = {}): Promise<FfmpegInfo> {
  let resolved: ResolvedFfmpeg;
  try {
    resolved = resolveFfmpeg(options);
  } catch (err) {
    return Promise.reject(err);
  }
  const cached = probeCache.get(resolved.path);
  if (cached) return cached.then((info) => (info.source === resolved.source ? info : { ...info, source: resolved.source }));
  const probe = (async (): Promise<FfmpegInfo> => {
    const base = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
    const [versionText, enc, dec, mux, demux, filt] = await Promise.all([
      run(resolved, ['-nostdin', '-version']),
      run(resolved, [...base, '-encoders']),
      run(resolved, [...base, '-decoders']),
      run(resolved, [...base, '-muxers']),
      run(resolved, [...base, '-demuxers']),
      run(resolved, [...base, '-filters']),
    ]);
    const version = /ffmpeg version (\S+)/.exec(versionText)?.[1] ?? 'unknown';
    const major = /^n?(\d+)\./.exec(version)?.[1];
    return Object.freeze({
      path: resolved.path,
      source: resolved.source,
      version,
      majorVersion: major === undefined ? undefined : Number(major),
      encoders: parseFfmpegList(enc),
      decoders: parseFfmpegList(dec),
      muxers: parseFfmpegList(mux),
      demuxers: parseFfmpegList(demux),
      filters: parseFfmpegList(filt),
    });
  })();
  probeCache.set(resolved.path, probe);
  // A failed probe is not cached, so a fixed installation is picked up on the next call.
  probe.catch(() => probeCache.delete(resolved.path));
  return probe;
}
