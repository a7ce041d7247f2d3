// decode() on media as users meet it (fixtures from scripts/make-fixtures.ts MEDIA_FIXTURES): an MP4
// with its index at the end, gapless MP3, truncated and CRC-damaged files, 5.1 WAV; each from a file
// path, an fs.ReadStream, a Buffer and a plain Readable, with the real ffmpeg.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../../src/core/errors.js';
import { downmixWeights } from '../../../src/core/pcm/pcm-convert.js';
import type { PcmFormat } from '../../../src/core/pcm/pcm-format.js';
import { decode, type DecodeOptions, type DecodeStream } from '../../../src/streams/decode.js';
import { FIXTURE_DIR } from '../../../scripts/make-fixtures.js';
import { chunked, collect, ffmpegBytes, seededRandom, settle } from '../../codecs/test-audio.js';

const file = (name: string): string => path.join(FIXTURE_DIR, name);

/** A plain Readable (not a file stream) over a file's bytes, in uneven chunks. */
function readableOf(name: string): Readable {
  return Readable.from(chunked(readFileSync(file(name)), seededRandom(7), 3000), { objectMode: false });
}

/** The ffmpeg input file a pipeline names (`-i <file>`), if any. */
function ffmpegInputOf(stream: DecodeStream): string | undefined {
  const line = stream.pipeline.find((p) => p.startsWith('ffmpeg '));
  const m = line ? / -i (\S+)/.exec(line) : null;
  return m?.[1];
}

describe('decode: an MP4 whose index (moov) comes after its media', () => {
  it('decodes from a Readable and a Buffer exactly as from its file, via a spooled copy that is removed', async () => {
    const fromFile = await collect(decode(file('moov-at-end.mp4')));
    // 5 s at 44.1 kHz mono s16.
    expect(fromFile.length).toBeGreaterThan(5 * 44_100 * 2 * 0.99);
    for (const input of [readableOf('moov-at-end.mp4'), readFileSync(file('moov-at-end.mp4'))]) {
      const s = decode(input);
      const { pcm, error } = await settle(s);
      expect(error).toBeUndefined();
      expect(s.path).toBe('ffmpeg:mp4');
      const spooled = ffmpegInputOf(s)!;
      expect(spooled).toContain('tokenlab-decode-');
      expect(pcm.equals(fromFile)).toBe(true);
      expect(existsSync(path.dirname(spooled))).toBe(false);
    }
  });

  it('the same file read naively from a pipe gives no audio, and ffmpeg exits 0 (why it is spooled)', async () => {
    // The failure the spool avoids, checked against this ffmpeg so the test above means something.
    const piped = await ffmpegBytes(['-f', 'mov', '-probesize', '4096', '-analyzeduration', '0', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], readFileSync(file('moov-at-end.mp4')));
    expect(piped.length).toBe(0);
  });

  it('a spool over spoolLimitBytes fails with InputError TLA_ERR_SPOOL_LIMIT and leaves no file', async () => {
    const s = decode(readableOf('moov-at-end.mp4'), { spoolLimitBytes: 10_000 });
    const { pcm, error } = await settle(s);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('TLA_ERR_SPOOL_LIMIT');
    expect(error!.message).toContain('spoolLimitBytes (10000)');
    expect(pcm.length).toBe(0);
    expect(s.pipeline).toEqual([]);
  });

  it('an fs.ReadStream is read by ffmpeg as its file (no spool, no pipe)', async () => {
    const s = decode(createReadStream(file('moov-at-end.mp4')));
    const { pcm, error } = await settle(s);
    expect(error).toBeUndefined();
    expect(ffmpegInputOf(s)).toBe(file('moov-at-end.mp4'));
    expect(pcm.equals(await collect(decode(file('moov-at-end.mp4'))))).toBe(true);
  });
});

describe('decode: MP3 from a stream gives the same samples as from its file (gapless trim)', () => {
  for (const name of ['gapless-44k.mp3', 'sine.mp3', 'chirp.mp3']) {
    it(name, async () => {
      const fromFile = await collect(decode(file(name)));
      const s = decode(readableOf(name));
      const fromStream = await collect(s);
      expect(ffmpegInputOf(s)).toBe('pipe:0');
      expect(fromStream.length).toBe(fromFile.length);
      expect(fromStream.equals(fromFile)).toBe(true);
    });
  }

  it('gapless-44k.mp3 is exactly its 3 s (132 300 samples), not 3 s plus padding', async () => {
    const pcm = await collect(decode(readableOf('gapless-44k.mp3')));
    expect(pcm.length / 2).toBe(132_300);
  });

  it('is also cut exactly when ffmpeg converts the rate', async () => {
    const to: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };
    const a = await collect(decode(file('gapless-44k.mp3'), { to }));
    const b = await collect(decode(readableOf('gapless-44k.mp3'), { to }));
    expect(b.length).toBe(a.length);
  });
});

describe('decode: damaged input is never reported as success', () => {
  const inputs: [string, (name: string) => string | Readable][] = [
    ['file', file],
    ['Readable', readableOf],
  ];
  for (const [how, open] of inputs) {
    it(`a truncated MP3 (${how}): the audio, then FormatError TLA_ERR_TRUNCATED (shorter than its header says)`, async () => {
      const { pcm, error } = await settle(decode(open('truncated.mp3')));
      expect(pcm.length).toBeGreaterThan(44_100 * 2 * 1.5);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).code).toBe('TLA_ERR_TRUNCATED');
      expect(error!.message).toMatch(/announces 132300 samples \(3\.000 s\), and only \d+ were decoded/);
    });

    it(`a CRC-damaged Ogg/Vorbis (${how}): the audio, then TLA_ERR_DECODE_DAMAGED`, async () => {
      const { pcm, error } = await settle(decode(open('crc-damaged.vorbis.ogg')));
      expect(pcm.length).toBeGreaterThan(44_100 * 2 * 2);
      expect((error as FormatError | undefined)?.code).toBe('TLA_ERR_DECODE_DAMAGED');
      expect(error!.message).toMatch(/1 Ogg page\(s\) failed their CRC/);
    });

    it(`a CRC-damaged Ogg/Opus, decoded in-process (${how}): the audio, then TLA_ERR_DECODE_DAMAGED`, async () => {
      const s = decode(open('crc-damaged.opus'));
      const { pcm, error } = await settle(s);
      expect(s.path).toBe('ogg-opus');
      expect(pcm.length).toBeGreaterThan(48_000 * 2 * 2);
      expect((error as FormatError | undefined)?.code).toBe('TLA_ERR_DECODE_DAMAGED');
    });
  }

  it("onDamaged/onTruncated: 'ignore' deliver the same audio and end normally", async () => {
    for (const name of ['truncated.mp3', 'crc-damaged.vorbis.ogg', 'crc-damaged.opus']) {
      const strict = await settle(decode(file(name)));
      const lax = await settle(decode(file(name), { onDamaged: 'ignore', onTruncated: 'ignore' }));
      expect(lax.error).toBeUndefined();
      expect(lax.pcm.equals(strict.pcm)).toBe(true);
    }
  });

  it('the undamaged originals decode without error (the damage is what fails them)', async () => {
    for (const name of ['gapless-44k.mp3', 'sine.vorbis.ogg', 'sine.opus']) {
      expect((await settle(decode(readableOf(name)))).error).toBeUndefined();
    }
  });

  it('no audio from a non-empty input is TLA_ERR_NO_AUDIO, in-process and through ffmpeg', async () => {
    // A WAV header and nothing after it; an MP3 cut after its first (header-only) frame.
    const header = readFileSync(file('sine.s16.wav')).subarray(0, 44);
    const mp3Head = readFileSync(file('gapless-44k.mp3')).subarray(0, 300);
    const cases: [Buffer, DecodeOptions][] = [
      [header, {}],
      [header, { decoder: 'ffmpeg' }],
      [mp3Head, {}],
    ];
    for (const [bytes, options] of cases) {
      const { pcm, error } = await settle(decode(bytes, options));
      expect(pcm.length).toBe(0);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as FormatError).code).toBe('TLA_ERR_NO_AUDIO');
      expect(error!.message).toContain(`held ${bytes.length} bytes`);
    }
  });
});

/** Amplitude of the sine at `hz` in channel `c` of interleaved s16 PCM (whole seconds: exact bins). */
function toneAmplitude(pcm: Buffer, channels: number, c: number, hz: number, sampleRate: number): number {
  const frames = pcm.length / 2 / channels;
  let re = 0;
  let im = 0;
  for (let i = 0; i < frames; i++) {
    const x = pcm.readInt16LE((i * channels + c) * 2) / 32768;
    const w = (2 * Math.PI * hz * i) / sampleRate;
    re += x * Math.cos(w);
    im += x * Math.sin(w);
  }
  return (2 * Math.hypot(re, im)) / frames;
}

describe('decode: 5.1 down-mix uses the standard coefficients, in-process and through ffmpeg alike', () => {
  // surround-5.1.wav: FL 300 Hz, FR 500, FC 700, LFE 60 (0.6), SL 900, SR 1100; all others at 0.2.
  const tones = [300, 500, 700, 60, 900, 1100];
  const levels = [0.2, 0.2, 0.2, 0.6, 0.2, 0.2];
  const weights = downmixWeights(6)!;

  it('has the expected weights: centre and surrounds −3 dB, LFE 0, normalised (ffmpeg s16 matrix)', () => {
    expect([...weights.left].map((w) => +w.toFixed(4))).toEqual([0.4142, 0, 0.2929, 0, 0.2929, 0]);
    expect([...weights.mono].map((w) => +w.toFixed(4))).toEqual([0.2071, 0.2071, 0.2929, 0, 0.1464, 0.1464]);
  });

  for (const channels of [1, 2] as const) {
    for (const decoder of ['auto', 'ffmpeg'] as const) {
      it(`to ${channels === 1 ? 'mono' : 'stereo'} (${decoder})`, async () => {
        const to: PcmFormat = { sampleRate: 48_000, channels, encoding: 's16le' };
        const s = decode(file('surround-5.1.wav'), { to, decoder });
        const pcm = await collect(s);
        expect(s.path).toBe(decoder === 'auto' ? 'wav' : 'ffmpeg:wav');
        const rows = channels === 1 ? [weights.mono] : [weights.left, weights.right];
        rows.forEach((row, out) => {
          tones.forEach((hz, c) => {
            const got = toneAmplitude(pcm, channels, out, hz, 48_000);
            // Within 0.5 % of full scale of the expected weight × level; the LFE tone is gone.
            expect(Math.abs(got - row[c]! * levels[c]!)).toBeLessThan(0.005);
          });
        });
      });
    }
  }
});
