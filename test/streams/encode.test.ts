import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { PcmFormat } from '../../src/core/pcm/pcm-format.js';
import { FfmpegError, FfmpegNotFoundError } from '../../src/codecs/ffmpeg/ffmpeg-errors.js';
import { resolveFfmpeg } from '../../src/codecs/ffmpeg/ffmpeg-resolve.js';
import { encode } from '../../src/streams/encode.js';

const FFMPEG = resolveFfmpeg().path;
const MONO8K: PcmFormat = { sampleRate: 8_000, channels: 1, encoding: 's16le' };
const STEREO48: PcmFormat = { sampleRate: 48_000, channels: 2, encoding: 's16le' };

function sine(format: PcmFormat, durationMs: number, hz = 440, amplitude = 0.5): Buffer {
  const frames = Math.round((format.sampleRate * durationMs) / 1000);
  const buf = Buffer.alloc(frames * format.channels * 2);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * hz * i) / format.sampleRate) * amplitude * 32767);
    for (let c = 0; c < format.channels; c++) buf.writeInt16LE(v, (i * format.channels + c) * 2);
  }
  return buf;
}

/** Runs the real ffmpeg on bytes and returns its stdout. */
function ffmpeg(args: string[], input: Buffer): Buffer {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', ...args], { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('encode', () => {
  it('writes WAV in-process with the samples unchanged, whatever the chunking', async () => {
    const pcm = sine(STEREO48, 250);
    const whole = encode(pcm, { format: 'wav', inputFormat: STEREO48 });
    expect(whole.path).toBe('wav');
    expect(whole.contentType).toBe('audio/wav');
    const wav = await collect(whole);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.subarray(8, 12).toString()).toBe('WAVE');
    expect(wav.subarray(wav.length - pcm.length).equals(pcm)).toBe(true);
    const bytewise = await collect(encode(chunked(pcm, 1), { format: 'wav', inputFormat: STEREO48 }));
    expect(bytewise.equals(wav)).toBe(true);
    // ffmpeg reads it back to the same samples.
    expect(ffmpeg(['-f', 'wav', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], wav).equals(pcm)).toBe(true);
  });

  it('converts rate, channels and sample type for wav and pcm output', async () => {
    const pcm = sine(STEREO48, 500);
    const s = encode(pcm, { format: 'pcm', inputFormat: STEREO48, sampleRate: 16_000, channels: 1, encoding: 'f32le' });
    expect(s.pcmFormat).toEqual({ sampleRate: 16_000, channels: 1, encoding: 'f32le' });
    const out = await collect(s);
    expect(out.length).toBe(8000 * 4);
    const f32 = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
    const peak = f32.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.45);
    expect(peak).toBeLessThan(0.55);
  });

  it('takes the format from a PCM stream that exposes one', async () => {
    const pcm = sine(MONO8K, 100);
    const source = Object.assign(Readable.from([pcm]), { format: MONO8K });
    const out = await collect(encode(source, { format: 'pcm' }));
    expect(out.equals(pcm)).toBe(true);
  });

  it.each(['mulaw', 'alaw'] as const)('writes %s in-process, bit-exact with ffmpeg', async (law) => {
    const pcm = Buffer.concat([sine(MONO8K, 300, 300, 0.9), sine(MONO8K, 100, 1234, 0.01)]);
    const s = encode(chunked(pcm, 333), { format: law, inputFormat: MONO8K });
    expect(s.path).toBe('g711');
    const ours = await collect(s);
    const theirs = ffmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-c:a', `pcm_${law}`, '-f', law, 'pipe:1'], pcm);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('resamples to 8 kHz mono by default for G.711', async () => {
    const s = encode(sine(STEREO48, 200), { format: 'mulaw', inputFormat: STEREO48 });
    expect(s.pcmFormat).toEqual(MONO8K);
    expect((await collect(s)).length).toBe(1600);
  });

  it('encodes FLAC through ffmpeg losslessly, and MP3, AAC and Ogg/Opus to decodable files', async () => {
    const pcm = sine(STEREO48, 1000);
    const flac = encode(pcm, { format: 'flac', inputFormat: STEREO48 });
    expect(flac.path).toBe('ffmpeg:flac');
    const flacBytes = await collect(flac);
    expect(flacBytes.subarray(0, 4).toString()).toBe('fLaC');
    expect(ffmpeg(['-i', 'pipe:0', '-f', 's16le', 'pipe:1'], flacBytes).equals(pcm)).toBe(true);

    for (const [format, magic, encoder] of [['mp3', null, 'auto'], ['aac', null, 'auto'], ['ogg-opus', 'OggS', 'ffmpeg'], ['opus', 'OggS', 'ffmpeg']] as const) {
      const s = encode(pcm, { format, inputFormat: STEREO48, bitrate: 64_000, encoder });
      expect(s.path).toBe(`ffmpeg:${format}`);
      const bytes = await collect(s);
      if (magic) expect(bytes.subarray(0, 4).toString()).toBe(magic);
      const decoded = ffmpeg(['-i', 'pipe:0', '-f', 's16le', '-ar', '48000', '-ac', '2', 'pipe:1'], bytes);
      const seconds = decoded.length / 4 / 48_000;
      expect(seconds).toBeGreaterThan(0.95);
      expect(seconds).toBeLessThan(1.1);
    }
  });

  it('writes Ogg/Opus in-process that ffmpeg decodes to exactly the input length', async () => {
    const mono16: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };
    const pcm = sine(mono16, 730, 300);
    const s = encode(chunked(pcm, 1000), { format: 'ogg-opus', inputFormat: mono16, bitrate: 32_000 });
    expect(s.path).toBe('ogg-opus');
    expect(s.contentType).toBe('audio/ogg; codecs=opus');
    const ogg = await collect(s);
    expect(ogg.subarray(0, 4).toString()).toBe('OggS');
    const decoded = ffmpeg(['-c:a', 'libopus', '-i', 'pipe:0', '-f', 's16le', '-ar', '16000', 'pipe:1'], ogg);
    expect(decoded.length).toBe(pcm.length);
    // 44.1 kHz input goes to the next Opus rate up (48 kHz).
    expect(encode(sine({ sampleRate: 44_100, channels: 2, encoding: 's16le' }, 10), { format: 'opus', inputFormat: { sampleRate: 44_100, channels: 2, encoding: 's16le' } }).pcmFormat.sampleRate).toBe(48_000);
  });

  it('rejects unusable options before starting anything', () => {
    const pcm = sine(MONO8K, 10);
    expect(() => encode(pcm, { format: 'ogg-vorbis' as never, inputFormat: MONO8K })).toThrow(InputError);
    expect(() => encode(pcm, { format: 'wav' })).toThrow(/inputFormat/);
    expect(() => encode(pcm, { format: 'opus', inputFormat: MONO8K, sampleRate: 44_100 })).toThrow(InputError);
    expect(() => encode(pcm, { format: 'mp3', inputFormat: MONO8K, bitrate: 5 })).toThrow(InputError);
    expect(() => encode(pcm, { format: 'mp3', inputFormat: MONO8K, ffmpegPath: '/nonexistent/ffmpeg' })).toThrow(FfmpegNotFoundError);
    expect(() => encode(42 as never, { format: 'mp3', inputFormat: MONO8K })).toThrow(InputError);
  });

  it('reports ffmpeg killed mid-stream as FfmpegError, after the bytes made before it, and leaves no process', async () => {
    const pcm = sine(STEREO48, 20_000);
    const s = encode(chunked(pcm, 4096), { format: 'mp3', inputFormat: STEREO48 });
    const received: Buffer[] = [];
    const error = new Promise<Error>((resolve) => s.on('error', resolve));
    s.on('data', (c: Buffer) => {
      received.push(c);
      if (received.length === 3) process.kill(s.childPids[0]!, 'SIGKILL');
    });
    const err = await error;
    expect(err).toBeInstanceOf(FfmpegError);
    expect(received.length).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(alive(s.childPids[0]!)).toBe(false);
  });

  it('destroy() stops the ffmpeg child', async () => {
    const s = encode(chunked(sine(STEREO48, 20_000), 4096), { format: 'flac', inputFormat: STEREO48 });
    const pid = s.childPids[0]!;
    await new Promise((resolve) => s.once('data', resolve));
    const closed = new Promise((resolve) => s.once('close', resolve));
    s.destroy();
    await closed;
    expect(alive(pid)).toBe(false);
  });
});

describe('encode with an already-aborted signal', () => {
  it('starts no ffmpeg child, reads nothing, and fails with an AbortError', async () => {
    let pulled = 0;
    const source = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(3200));
      },
    });
    const stream = encode(source, { format: 'mp3', inputFormat: { sampleRate: 16000, channels: 1, encoding: 's16le' }, signal: AbortSignal.abort() });
    expect(stream.childPids).toEqual([]);
    const error = await new Promise<Error | undefined>((resolve) => {
      let err: Error | undefined;
      stream.on('error', (e) => (err = e));
      stream.on('close', () => resolve(err));
      stream.resume();
    });
    expect(error?.name).toBe('AbortError');
    expect(source.destroyed).toBe(true);
    expect(pulled).toBe(0);
  });
});
