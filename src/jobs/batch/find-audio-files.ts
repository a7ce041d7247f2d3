/**
 * Expands what a user gives a batch (files, directories, glob patterns such as `archive/**\/*.mp3`) into a
 * sorted list of files, each with a name relative to where it was found (the name its output gets).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BatchInputError } from './batch-errors.js';

/** Extensions taken from a directory (given by name, a file of any extension is taken). */
export const BATCH_AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'wav', 'mp3', 'mpga', 'mpeg', 'm4a', 'mp4', 'aac', 'flac', 'ogg', 'oga', 'opus', 'webm', 'mkv', 'mov', 'aiff', 'aif', 'wma', 'amr', '3gp', 'caf',
]);

/** One file found. */
export interface FoundAudioFile {
  /** Absolute path. */
  readonly file: string;
  /** Path relative to the directory or pattern base it was found under (the basename for a file given by name). */
  readonly name: string;
}

const GLOB_CHARS = /[*?[{]/;

/** True when `arg` has glob characters (`*`, `?`, `[`, `{`). */
export function isGlobPattern(arg: string): boolean {
  return GLOB_CHARS.test(arg);
}

/** A RegExp for a glob over `/`-separated relative paths: `**` (any depth), `*`, `?`, `[…]`, `{a,b}`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[], signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out, signal);
    else if (entry.isFile()) out.push(full);
  }
}

/**
 * Finds the files of a batch: a file is taken as it is, a directory is searched recursively for audio and
 * video files ({@link BATCH_AUDIO_EXTENSIONS}; hidden entries skipped), a glob pattern matches under its
 * literal base directory. The result is sorted by path, without duplicates.
 * @throws BatchInputError for an argument that does not exist or a pattern that matches nothing.
 */
export async function findAudioFiles(args: readonly string[], options: { cwd?: string; signal?: AbortSignal } = {}): Promise<FoundAudioFile[]> {
  const cwd = options.cwd ?? process.cwd();
  const found = new Map<string, string>();
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    const info = await stat(abs).catch(() => undefined);
    if (info?.isFile()) {
      if (!found.has(abs)) found.set(abs, path.basename(abs));
      continue;
    }
    if (info?.isDirectory()) {
      const files: string[] = [];
      await walk(abs, files, options.signal);
      for (const f of files) {
        const ext = path.extname(f).slice(1).toLowerCase();
        if (BATCH_AUDIO_EXTENSIONS.has(ext) && !found.has(f)) found.set(f, path.relative(abs, f).split(path.sep).join('/'));
      }
      continue;
    }
    if (!isGlobPattern(arg)) throw new BatchInputError(`No such file or directory: ${arg}`);
    const parts = abs.split(path.sep);
    const firstGlob = parts.findIndex((p) => isGlobPattern(p));
    const base = parts.slice(0, firstGlob).join(path.sep) || path.sep;
    const pattern = globToRegExp(parts.slice(firstGlob).join('/'));
    const files: string[] = [];
    await walk(base, files, options.signal).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    let matched = 0;
    for (const f of files) {
      const rel = path.relative(base, f).split(path.sep).join('/');
      if (!pattern.test(rel)) continue;
      matched++;
      if (!found.has(f)) found.set(f, rel);
    }
    if (matched === 0) throw new BatchInputError(`The pattern ${arg} matches no file.`);
  }
  return [...found].map(([file, name]) => ({ file, name })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
