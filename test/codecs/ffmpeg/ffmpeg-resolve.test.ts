import { mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegNotFoundError } from '../../../src/codecs/ffmpeg/ffmpeg-errors.js';
import { parseFfmpegList, probeFfmpeg, resolveFfmpeg } from '../../../src/codecs/ffmpeg/ffmpeg-resolve.js';

// The binary a fresh `npm ci` brings, found with no option, no FFMPEG_PATH and an empty PATH.
const installed = resolveFfmpeg({}, { PATH: '' });

describe('resolveFfmpeg', () => {
  it('falls back to @ffmpeg-installer/ffmpeg when nothing else is configured', () => {
    expect(installed.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(path.isAbsolute(installed.path)).toBe(true);
  });

  it('prefers the option over FFMPEG_PATH, and FFMPEG_PATH over PATH and packages', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tla-ffmpeg-'));
    const onPath = path.join(dir, 'ffmpeg');
    symlinkSync(installed.path, onPath);
    const other = path.join(dir, 'my-ffmpeg');
    symlinkSync(installed.path, other);
    expect(resolveFfmpeg({ ffmpegPath: other }, { FFMPEG_PATH: onPath, PATH: dir })).toEqual({ path: other, source: 'option' });
    expect(resolveFfmpeg({}, { FFMPEG_PATH: other, PATH: dir })).toEqual({ path: other, source: 'FFMPEG_PATH' });
    expect(resolveFfmpeg({}, { PATH: dir })).toEqual({ path: onPath, source: 'PATH' });
    // A bare command name in the option is looked up on PATH.
    expect(resolveFfmpeg({ ffmpegPath: 'my-ffmpeg' }, { PATH: dir })).toEqual({ path: other, source: 'option' });
  });

  it('skips files on PATH that are not executable', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tla-ffmpeg-'));
    writeFileSync(path.join(dir, 'ffmpeg'), 'not a program');
    chmodSync(path.join(dir, 'ffmpeg'), 0o644);
    expect(resolveFfmpeg({}, { PATH: dir }).source).toBe('@ffmpeg-installer/ffmpeg');
  });

  it('throws FfmpegNotFoundError naming the path when the option points at nothing', () => {
    const missing = path.join(tmpdir(), 'definitely-not-here', 'ffmpeg');
    let error: unknown;
    try {
      resolveFfmpeg({ ffmpegPath: missing }, { PATH: '' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FfmpegNotFoundError);
    const e = error as FfmpegNotFoundError;
    expect(e.code).toBe('TLA_ERR_FFMPEG_NOT_FOUND');
    expect(e.message).toContain(missing);
    expect(e.message).toContain('file does not exist');
    expect(e.message).toMatch(/FFMPEG_PATH/);
    expect(e.tried.at(-1)).toEqual({ source: 'option', path: missing, reason: 'file does not exist' });
  });

  it('does not fall through when FFMPEG_PATH is set but wrong', () => {
    expect(() => resolveFfmpeg({}, { FFMPEG_PATH: '/nonexistent/ffmpeg', PATH: '' })).toThrow(FfmpegNotFoundError);
  });
});

describe('probeFfmpeg', () => {
  it('learns the version and codecs once, and caches by path', async () => {
    const a = probeFfmpeg({ ffmpegPath: installed.path });
    const b = probeFfmpeg({ ffmpegPath: installed.path });
    const [infoA, infoB] = await Promise.all([a, b]);
    expect(infoA).toBe(infoB);
    expect(infoA.version).not.toBe('unknown');
    for (const enc of ['pcm_s16le', 'pcm_mulaw', 'pcm_alaw', 'libopus', 'libmp3lame', 'aac', 'flac']) expect(infoA.encoders.has(enc)).toBe(true);
    for (const mux of ['wav', 'ogg', 'webm', 'mp3', 'adts', 'ipod', 'flac', 's16le']) expect(infoA.muxers.has(mux)).toBe(true);
    expect(infoA.demuxers.has('mp4')).toBe(true); // from the `mov,mp4,m4a,3gp,3g2,mj2` row
    expect(infoA.filters.has('aresample')).toBe(true);
    expect(infoA.filters.has('=')).toBe(false);
  });

  it('rejects with FfmpegNotFoundError for a missing binary', async () => {
    await expect(probeFfmpeg({ ffmpegPath: '/nonexistent/bin/ffmpeg' })).rejects.toBeInstanceOf(FfmpegNotFoundError);
  });

  it('parses list tables with and without a dashed separator', () => {
    const muxers = ' D. = Demuxing supported\n .E = Muxing supported\n --\n  E wav             WAV / WAVE\n D  mov,mp4,m4a     QuickTime\n';
    expect([...parseFfmpegList(muxers)]).toEqual(['wav', 'mov', 'mp4', 'm4a']);
    const filters = 'Filters:\n  T.. = Timeline support\n  A = Audio input/output\n ... abench   A->A   Benchmark\n TSC afftdn  A->A  Denoise\n';
    expect([...parseFfmpegList(filters)]).toEqual(['abench', 'afftdn']);
  });
});
