import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FfmpegError, FfmpegNotFoundError } from '../../../src/codecs/ffmpeg/ffmpeg-errors.js';
import { FfmpegProcess, runFfmpeg } from '../../../src/codecs/ffmpeg/ffmpeg-process.js';
import { collect, processGone } from '../test-audio.js';
import { FIXTURE_DIR } from '../../../scripts/make-fixtures.js';

const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
// Reads s16le from stdin and copies it to stdout: runs as long as we keep stdin open.
const COPY = [...QUIET, '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'];
// Produces audio forever, never reading stdin.
const ENDLESS = [...QUIET, '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=8000', '-f', 's16le', 'pipe:1'];

/** A stand-in "ffmpeg" (a node script) for behaviours real ffmpeg will not show on demand. */
function fakeFfmpeg(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tla-fake-ffmpeg-'));
  const file = path.join(dir, 'ffmpeg');
  writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Resolves on 'close' with the error emitted before it, if any (events.once would reject on 'error'). */
function closed(proc: FfmpegProcess): Promise<Error | undefined> {
  let error: Error | undefined;
  proc.on('error', (err) => (error = err));
  return new Promise((resolve) => proc.once('close', () => resolve(error)));
}

describe('FfmpegProcess', () => {
  it('pipes stdin to stdout and leaves no child after a normal end', async () => {
    const proc = new FfmpegProcess({ args: [...QUIET, '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 'mulaw', 'pipe:1'] });
    expect(proc.pid).toBeTypeOf('number');
    expect(proc.ffmpeg.source).toBeTypeOf('string');
    const done = closed(proc);
    const out = collect(proc);
    proc.end(Buffer.alloc(16000));
    expect((await out).length).toBe(8000);
    expect(await done).toBeUndefined();
    expect(proc.exitCode).toBe(0);
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('turns a non-zero exit into FfmpegError with the exit code and stderr tail', async () => {
    const proc = new FfmpegProcess({ args: [...QUIET, '-f', 'no_such_format', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'] });
    proc.resume();
    proc.end(Buffer.alloc(10));
    const err = await closed(proc);
    expect(err).toBeInstanceOf(FfmpegError);
    const e = err as FfmpegError;
    expect(e.code).toBe('TLA_ERR_FFMPEG');
    expect(e.exitCode).not.toBe(0);
    expect(e.exitCode).not.toBeNull();
    expect(e.stderrTail).toContain('no_such_format');
    expect(e.args).toContain('no_such_format');
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('kills the child on destroy() mid-stream', async () => {
    const proc = new FfmpegProcess({ args: ENDLESS, stdin: 'none' });
    await once(proc, 'data');
    proc.destroy();
    const err = await closed(proc);
    expect(err).toBeUndefined();
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('kills the child when destroyed with an error, and reports that error', async () => {
    const proc = new FfmpegProcess({ args: COPY });
    proc.write(Buffer.alloc(1000));
    proc.destroy(new Error('downstream failed'));
    const err = await closed(proc);
    expect(err?.message).toBe('downstream failed');
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('kills the child when the signal aborts', async () => {
    const controller = new AbortController();
    const proc = new FfmpegProcess({ args: ENDLESS, stdin: 'none', signal: controller.signal });
    await once(proc, 'data');
    controller.abort();
    const err = await closed(proc);
    expect(err?.name).toBe('AbortError');
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('stops at once with an already-aborted signal', async () => {
    const proc = new FfmpegProcess({ args: ENDLESS, stdin: 'none', signal: AbortSignal.abort() });
    const err = await closed(proc);
    expect(err?.name).toBe('AbortError');
    // No process was started at all.
    expect(proc.pid).toBeUndefined();
  });

  it('uses SIGKILL after the grace period when the child ignores SIGTERM', async () => {
    const stubborn = fakeFfmpeg("process.on('SIGTERM', () => {}); process.stdout.write('x'); setInterval(() => {}, 1000);");
    const proc = new FfmpegProcess({ args: [], ffmpegPath: stubborn, killGraceMs: 50 });
    expect(proc.ffmpeg.source).toBe('option');
    await once(proc, 'data');
    proc.destroy();
    await closed(proc);
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('treats EPIPE after the child exits as no error (child exits early while we write)', async () => {
    const early = fakeFfmpeg("process.stdout.write('done'); process.exit(0);");
    const proc = new FfmpegProcess({ args: [], ffmpegPath: early });
    const done = closed(proc);
    const out = collect(proc);
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 64; i++) proc.write(chunk);
    proc.end();
    expect((await out).toString()).toBe('done');
    expect(await done).toBeUndefined();
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('real ffmpeg stopping early (-t) while we still write is not an error', async () => {
    const proc = new FfmpegProcess({ args: [...QUIET, '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-t', '0.01', '-f', 's16le', 'pipe:1'] });
    const done = closed(proc);
    const out = collect(proc);
    const chunk = Buffer.alloc(64 * 1024);
    let writes = 0;
    // Keep writing until the stream stops accepting (ffmpeg gone), bounded.
    while (writes < 200 && !proc.writableEnded && !proc.destroyed) {
      if (!proc.write(chunk)) await Promise.race([once(proc, 'drain'), once(proc, 'close')]);
      writes++;
    }
    if (!proc.writableEnded) proc.end();
    expect((await out).length).toBe(160);
    expect(await done).toBeUndefined();
    expect(proc.exitCode).toBe(0);
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('delivers output produced before the child is killed from outside, then FfmpegError', async () => {
    const proc = new FfmpegProcess({ args: ENDLESS, stdin: 'none' });
    let bytes = 0;
    proc.on('data', (c: Buffer) => {
      if (bytes === 0) process.kill(proc.pid!, 'SIGKILL');
      bytes += c.length;
    });
    const err = await closed(proc);
    expect(bytes).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).signal).toBe('SIGKILL');
    expect((err as FfmpegError).exitCode).toBeNull();
    expect(processGone(proc.pid!)).toBe(true);
  });

  it('delivers output still buffered in the stream (nobody reading yet) before the FfmpegError of a failed exit', async () => {
    const failing = fakeFfmpeg("process.stdout.write(Buffer.alloc(10000, 7), () => process.exit(1));");
    const proc = new FfmpegProcess({ args: [], ffmpegPath: failing, stdin: 'none' });
    const done = closed(proc);
    // Let the child write, exit and close while nothing reads: its bytes sit in our readable buffer.
    await new Promise<void>((resolve) => {
      const poll = (): void => (proc.exited ? resolve() : void setTimeout(poll, 10));
      poll();
    });
    await new Promise((r) => setTimeout(r, 100));
    let bytes = 0;
    proc.on('data', (c: Buffer) => (bytes += c.length));
    const error = await done;
    expect(bytes).toBe(10000);
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as FfmpegError).exitCode).toBe(1);
  });

  it('throws FfmpegNotFoundError when ffmpegPath points at a nonexistent file', () => {
    expect(() => new FfmpegProcess({ args: [], ffmpegPath: '/nonexistent/dir/ffmpeg' })).toThrow(FfmpegNotFoundError);
  });

  it('keeps only the last stderrTailBytes of stderr', async () => {
    const chatty = fakeFfmpeg("process.stderr.write('a'.repeat(10000) + 'THE END'); process.exit(3);");
    const proc = new FfmpegProcess({ args: [], ffmpegPath: chatty, stderrTailBytes: 100 });
    proc.resume();
    proc.end();
    const err = (await closed(proc)) as FfmpegError;
    expect(err.exitCode).toBe(3);
    expect(err.stderrTail.length).toBe(100);
    expect(err.stderrTail.endsWith('THE END')).toBe(true);
  });

  it('holds backpressure: a paused reader stops ffmpeg, resuming drains everything', async () => {
    const proc = new FfmpegProcess({ args: [...QUIET, '-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000:duration=5', '-f', 's16le', 'pipe:1'], stdin: 'none', highWaterMark: 16 * 1024 });
    await once(proc, 'readable');
    // Nothing read yet: the buffered amount stays near the high-water mark instead of the full 480 kB.
    await new Promise((r) => setTimeout(r, 200));
    expect(proc.readableLength).toBeLessThan(200 * 1024);
    const out = await collect(proc);
    expect(out.length).toBe(480_000);
  });
});

describe('FfmpegProcess input backpressure', () => {
  it('holds write callbacks while nobody reads the output, and releases them all when reading starts', async () => {
    const proc = new FfmpegProcess({ args: COPY, highWaterMark: 16 * 1024 });
    const chunk = Buffer.alloc(64 * 1024);
    const total = 120; // 7.5 MB: far more than the pipes and ffmpeg buffer
    let done = 0;
    for (let i = 0; i < total; i++) proc.write(chunk, () => done++);
    proc.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBeLessThan(total);
    const out = await collect(proc);
    expect(done).toBe(total);
    expect(out.length).toBe(total * chunk.length);
  });
});

describe('runFfmpeg', () => {
  it('resolves on success and rejects with FfmpegError on failure', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tla-run-')), 'a.wav');
    const ok = await runFfmpeg([...QUIET, '-f', 'lavfi', '-i', 'sine=d=0.1', file]);
    expect(ok.ffmpeg.path).toBeTypeOf('string');
    await expect(runFfmpeg([...QUIET, '-i', '/nonexistent/input.wav', file])).rejects.toBeInstanceOf(FfmpegError);
  });
});

describe("FfmpegProcess errorOutput: 'fail'", () => {
  // A 5 s MP4 whose index comes after its media, through stdin: ffmpeg prints errors, writes no audio, exits 0.
  const mp4 = readFileSync(path.join(FIXTURE_DIR, 'moov-at-end.mp4'));
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'mov', '-probesize', '4096', '-analyzeduration', '0', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'];

  it('turns an exit 0 after error lines into FfmpegError TLA_ERR_FFMPEG_ERROR_OUTPUT, with the stderr tail', async () => {
    const proc = new FfmpegProcess({ args, errorOutput: 'fail' });
    const result = collect(proc);
    proc.end(mp4);
    const err = (await result.catch((e: unknown) => e)) as FfmpegError;
    expect(err).toBeInstanceOf(FfmpegError);
    expect(err.code).toBe('TLA_ERR_FFMPEG_ERROR_OUTPUT');
    expect(err.exitCode).toBe(0);
    expect(err.stderrTail.length).toBeGreaterThan(0);
  });

  it("by default ('ignore') the same run is a success with no output, as before", async () => {
    const proc = new FfmpegProcess({ args });
    const result = collect(proc);
    proc.end(mp4);
    expect((await result).length).toBe(0);
    expect(proc.exitCode).toBe(0);
  });
});
