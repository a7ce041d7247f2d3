import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/core/errors.js';
import type { PcmFormat } from '../../../src/core/pcm/pcm-format.js';
import { parseWavHeader } from '../../../src/codecs/wav/wav-header.js';
import { WavReader } from '../../../src/codecs/wav/wav-reader.js';
import { WAV_UNKNOWN_SIZE, WavWriter, createWavHeader, encodeWav, writeWavFile } from '../../../src/codecs/wav/wav-writer.js';
import { chunked, collect, ffmpegBytes, runThrough, seededRandom } from '../test-audio.js';

function pcmFor(format: PcmFormat, frames: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const n = frames * format.channels;
  if (format.encoding === 's16le') {
    const b = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) b.writeInt16LE(Math.floor(random() * 65536) - 32768, i * 2);
    return b;
  }
  const b = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) b.writeFloatLE(random() * 2 - 1, i * 4);
  return b;
}

const FORMATS: PcmFormat[] = [
  { sampleRate: 24000, channels: 1, encoding: 's16le' },
  { sampleRate: 48000, channels: 2, encoding: 'f32le' },
  { sampleRate: 16000, channels: 6, encoding: 's16le' },
  { sampleRate: 44100, channels: 3, encoding: 'f32le' },
];

describe.each(FORMATS)('WAV writing %o', (format) => {
  const pcm = pcmFor(format, 1234, format.sampleRate + format.channels);

  it('encodeWav output is read back by ffmpeg and by WavReader sample for sample', async () => {
    const file = encodeWav(pcm, format);
    const header = parseWavHeader(file)!;
    expect(header.dataByteLength).toBe(pcm.length);
    expect(header.extensible).toBe(format.channels > 2);
    const ours = await runThrough(new WavReader({ encoding: format.encoding }), [file]);
    expect(ours.equals(pcm)).toBe(true);
    const theirs = await ffmpegBytes(['-i', 'pipe:0', '-f', format.encoding, 'pipe:1'], file);
    expect(theirs.equals(pcm)).toBe(true);
  });

  it('WavWriter streams a 0xFFFFFFFF header that ffmpeg and WavReader read to the end', async () => {
    const writer = new WavWriter({ format });
    const bytes = await runThrough(writer, chunked(pcm, seededRandom(9), 333));
    expect(bytes.readUInt32LE(4)).toBe(WAV_UNKNOWN_SIZE);
    expect(writer.dataByteLength).toBe(pcm.length);
    expect(bytes.length).toBe(writer.headerByteLength + pcm.length);
    const back = await runThrough(new WavReader({ encoding: format.encoding }), [bytes]);
    expect(back.equals(pcm)).toBe(true);
    const theirs = await ffmpegBytes(['-i', 'pipe:0', '-f', format.encoding, 'pipe:1'], bytes);
    expect(theirs.equals(pcm)).toBe(true);
  });

  it('writeWavFile fixes the sizes in the header of the file', async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), 'tla-wav-')), 'out.wav');
    const result = await writeWavFile(target, Readable.from(chunked(pcm, seededRandom(4), 1000)), format);
    expect(result.dataByteLength).toBe(pcm.length);
    const file = readFileSync(target);
    expect(file.length).toBe(result.byteLength);
    expect(file.readUInt32LE(4)).toBe(file.length - 8);
    expect(parseWavHeader(file)!.dataByteLength).toBe(pcm.length);
    expect(result.durationMs).toBeCloseTo((1234 / format.sampleRate) * 1000, 6);
    const theirs = await ffmpegBytes(['-i', target, '-f', format.encoding, 'pipe:1']);
    expect(theirs.equals(pcm)).toBe(true);
  });
});

describe('WAV writing errors', () => {
  it('rejects partial frames and bad formats', async () => {
    const format: PcmFormat = { sampleRate: 8000, channels: 2, encoding: 's16le' };
    expect(() => encodeWav(Buffer.alloc(6), format)).toThrow(FormatError);
    expect(() => createWavHeader({ sampleRate: 8000, channels: 0, encoding: 's16le' })).toThrow(FormatError);
    const writer = new WavWriter({ format });
    const result = collect(writer).then(
      () => undefined,
      (err: unknown) => err,
    );
    writer.end(Buffer.alloc(6));
    expect(await result).toBeInstanceOf(FormatError);
    const target = path.join(mkdtempSync(path.join(tmpdir(), 'tla-wav-')), 'bad.wav');
    await expect(writeWavFile(target, Readable.from([Buffer.alloc(3)]), format)).rejects.toBeInstanceOf(FormatError);
  });

  it('writeWavFile stops on abort', async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), 'tla-wav-')), 'aborted.wav');
    const format: PcmFormat = { sampleRate: 8000, channels: 1, encoding: 's16le' };
    await expect(writeWavFile(target, Readable.from([Buffer.alloc(8)]), format, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it('writeWavFile settles at once on abort while the source is silent (no chunk to notice it on), and releases the source', async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), 'tla-wav-')), 'stalled.wav');
    const format: PcmFormat = { sampleRate: 8000, channels: 1, encoding: 's16le' };
    const stalled = new Readable({ read() {} });
    stalled.push(Buffer.alloc(8));
    const controller = new AbortController();
    const written = writeWavFile(target, stalled, format, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('writeWavFile did not settle after abort')), 3000)));
    try {
      await expect(Promise.race([written, hung])).rejects.toThrow(/abort/i);
    } finally {
      clearTimeout(timer);
    }
    expect(stalled.destroyed).toBe(true);
  });
});
