import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/streams/decode.js';
import { convert } from '../../src/streams/convert.js';
import { wavHeader } from '../../src/emulator/encode-speech.js';
import { runCliInProcess } from './run-cli-in-process.js';

let dir: string;
let wav: string;
const RATE = 24_000;

async function pcmOf(file: string) {
  const d = decode(file);
  const parts: Buffer[] = [];
  for await (const c of d) parts.push(c as Buffer);
  return { format: await d.formatReady, pcm: Buffer.concat(parts), path: d.path };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tla-convert-'));
  // One second of a 440 Hz tone, stereo with the right channel silent (so a down-mix halves the level).
  const frames = RATE;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) data.writeInt16LE(Math.round(16000 * Math.sin((2 * Math.PI * 440 * i) / RATE)), i * 4);
  const header = wavHeader(RATE, data.length);
  // wavHeader writes mono; patch channels and block align for stereo.
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(RATE * 4, 28);
  header.writeUInt16LE(4, 32);
  wav = path.join(dir, 'tone.wav');
  await writeFile(wav, Buffer.concat([header, data]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tokenlab-audio convert', () => {
  it('WAV stereo 24 kHz → WAV mono 16 kHz: resampled and down-mixed, length kept', async () => {
    const out = path.join(dir, 'mono16k.wav');
    const run = await runCliInProcess(['convert', wav, '-o', out, '--rate', '16000', '--channels', '1', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'wav', pcmFormat: { sampleRate: 16000, channels: 1, encoding: 's16le' } });
    const { format, pcm } = await pcmOf(out);
    expect(format).toEqual({ sampleRate: 16000, channels: 1, encoding: 's16le' });
    expect(Math.abs(pcm.length / 2 - 16000)).toBeLessThanOrEqual(2);
    // Down-mix of (tone, silence): peak about half of 16000.
    let peak = 0;
    for (let i = 4000; i < pcm.length / 2 - 4000; i++) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i * 2)));
    expect(peak).toBeGreaterThan(7000);
    expect(peak).toBeLessThan(9000);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 30_000);

  it('format from the extension: .ulaw (G.711, 8 kHz), .ogg (Opus), .webm and .mp3 (ffmpeg); each decodes back', async () => {
    for (const [name, expectPath] of [['call.ulaw', undefined], ['tone.ogg', 'ogg-opus'], ['tone.webm', 'webm-opus'], ['tone.mp3', 'ffmpeg:mp3']] as const) {
      const out = path.join(dir, name);
      const run = await runCliInProcess(['convert', wav, '-o', out]);
      expect(run.code, run.stderr).toBe(0);
      if (expectPath) {
        const back = await pcmOf(out);
        expect(back.path).toBe(expectPath);
        expect(back.pcm.length).toBeGreaterThan(0);
      } else {
        // 1 s at 8 kHz mono, one byte per sample.
        expect((await readFile(out)).length).toBe(8000);
      }
    }
  }, 60_000);

  it('bad input and unknown extension: clear messages, non-zero exit, no output left', async () => {
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'not audio at all\n'.repeat(100));
    const bad = await runCliInProcess(['convert', text, '-o', path.join(dir, 'x.wav')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/is not audio/);
    expect((await readdir(dir)).some((f) => f.startsWith('x.wav'))).toBe(false);
    const unknown = await runCliInProcess(['convert', wav, '-o', path.join(dir, 'x.xyz')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--to/);
  }, 30_000);
});

describe('convert()', () => {
  it('raw PCM with its layout → Ogg/Opus stream', async () => {
    const pcm = Buffer.alloc(48_000 * 2);
    for (let i = 0; i < 48_000; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 10)), i * 2);
    const stream = await convert(pcm, { format: 'ogg-opus', from: { sampleRate: 48_000, channels: 1, encoding: 's16le' }, bitrate: 32_000 });
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    const bytes = Buffer.concat(parts);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(stream.pcmFormat).toEqual({ sampleRate: 48_000, channels: 1, encoding: 's16le' });
  });

  it('input that is not audio rejects with the typed error (no uncaught stream error)', async () => {
    const text = path.join(dir, 'letter.txt');
    await writeFile(text, 'a letter, not a recording\n'.repeat(100));
    await expect(convert(text, { format: 'wav' })).rejects.toMatchObject({ code: 'TLA_ERR_NOT_AUDIO' });
  });
});
