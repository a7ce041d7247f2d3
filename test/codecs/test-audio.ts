// Shared by the codecs tests: run the real ffmpeg on a file or bytes, collect a stream, seeded chunking.
import { Readable, type Duplex, type Transform } from 'node:stream';
import { FfmpegProcess } from '../../src/codecs/ffmpeg/ffmpeg-process.js';
export { seededRandom } from '../../scripts/seeded-random.js';
import { seededRandom } from '../../scripts/seeded-random.js';

/** Runs ffmpeg with `args` (stdin fed with `input` when given) and returns stdout. */
export async function ffmpegBytes(args: string[], input?: Uint8Array): Promise<Buffer> {
  const proc = new FfmpegProcess({ args: ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], stdin: input ? 'pipe' : 'none' });
  const out = collect(proc);
  if (input) proc.end(input);
  return out;
}

/** ffmpeg's decode of `file` to raw PCM (`s16le` or `f32le`), native rate and channels. */
export function ffmpegDecodeFile(file: string, encoding: 's16le' | 'f32le', extraInput: string[] = []): Promise<Buffer> {
  return ffmpegBytes([...extraInput, '-i', file, '-f', encoding, 'pipe:1']);
}

/** Everything a readable stream gives, concatenated; rejects on error. */
export function collect(stream: Readable | Duplex | Transform): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}


/** Splits bytes into chunks: all of size 1, or random sizes from 1 to `maxChunk` (seeded). */
export function chunked(bytes: Uint8Array, random: (() => number) | 'bytewise', maxChunk = 4096): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = random === 'bytewise' ? 1 : 1 + Math.floor(random() * maxChunk);
    out.push(Buffer.from(bytes.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** Writes the chunks into a transform and collects its output. */
export async function runThrough(stream: Transform | Duplex, chunks: readonly Uint8Array[]): Promise<Buffer> {
  const result = collect(stream);
  Readable.from(chunks, { objectMode: false }).pipe(stream);
  return result;
}

/** Largest absolute difference between two s16le buffers (Infinity when lengths differ). */
export function maxS16Diff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i + 1 < a.length; i += 2) max = Math.max(max, Math.abs(a.readInt16LE(i) - b.readInt16LE(i)));
  return max;
}

/** Largest absolute difference between two f32le buffers (Infinity when lengths differ). */
export function maxF32Diff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i + 3 < a.length; i += 4) max = Math.max(max, Math.abs(a.readFloatLE(i) - b.readFloatLE(i)));
  return max;
}

/** True when `pid` no longer names a process (kill(pid, 0) fails with ESRCH). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Everything a readable stream gives and how it ended (the error, or undefined), once it has closed. */
export async function settle(stream: Readable): Promise<{ pcm: Buffer; error: Error | undefined }> {
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<Error | undefined>((resolve) => {
    stream.once('end', () => resolve(undefined));
    stream.once('error', resolve);
  });
  if (!stream.closed) await new Promise((r) => stream.once('close', r));
  return { pcm: Buffer.concat(parts), error };
}
