import { inspect } from 'node:util';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectSpeechFormat, pcmParamsOf } from '../../../src/api/speech/speech-format.js';
import { sniffUpload } from '../../../src/api/upload-type.js';
import { FrameAligner } from '../../../src/codecs/frame-aligner.js';
import { TokenLab } from '../../../src/client.js';
import { InputError } from '../../../src/core/errors.js';

const b = (...bytes: (number | string)[]) => Buffer.concat(bytes.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));

describe('detectSpeechFormat', () => {
  it('trusts distinctive magic over headers and the request', () => {
    expect(detectSpeechFormat(b('RIFF', 0, 0, 0, 0, 'WAVE'), 'audio/pcm', 'pcm')).toBe('wav');
    expect(detectSpeechFormat(b('OggS', 0, 2, 0, 0, 0, 0, 0, 0), 'audio/mpeg', 'mp3')).toBe('opus');
    expect(detectSpeechFormat(b('fLaC', 0, 0, 0, 34), undefined, 'mp3')).toBe('flac');
    expect(detectSpeechFormat(b('ID3', 4, 0, 0, 0, 0, 0, 0), undefined, 'wav')).toBe('mp3');
  });

  it('never reads raw PCM that happens to start with 0xFF as MPEG or ADTS', () => {
    expect(detectSpeechFormat(b(0xff, 0xfb, 0x90, 0x00), undefined, 'pcm')).toBe('pcm');
    expect(detectSpeechFormat(b(0xff, 0xfb, 0x90, 0x00), undefined, 'mp3')).toBe('mp3');
    expect(detectSpeechFormat(b(0xff, 0xf1, 0x50, 0x80), undefined, 'aac')).toBe('aac');
  });

  it('uses Content-Type, then the request; reads rate/channels parameters', () => {
    expect(detectSpeechFormat(b(1, 2, 3, 4), 'audio/mpeg; charset=x', 'pcm')).toBe('mp3');
    expect(detectSpeechFormat(b(1, 2, 3, 4), 'application/octet-stream', 'pcm')).toBe('pcm');
    expect(pcmParamsOf('audio/pcm; rate=16000; channels=2')).toEqual({ sampleRate: 16000, channels: 2 });
    expect(pcmParamsOf('audio/L16;rate=24000')).toEqual({ sampleRate: 24000 });
  });
});

describe('sniffUpload', () => {
  it('names audio and refuses documents and text', () => {
    expect(sniffUpload(b('RIFF', 0, 0, 0, 0, 'WAVE'))).toMatchObject({ kind: 'audio', ext: 'wav' });
    expect(sniffUpload(b(0, 0, 0, 0x20, 'ftypM4A '))).toMatchObject({ kind: 'audio', ext: 'm4a' });
    expect(sniffUpload(b(0x1a, 0x45, 0xdf, 0xa3))).toMatchObject({ kind: 'audio', ext: 'webm' });
    expect(sniffUpload(b('%PDF-1.4'))).toMatchObject({ kind: 'other' });
    expect(sniffUpload(Buffer.from('just some plain text here'))).toMatchObject({ kind: 'other', what: 'a text file' });
    expect(sniffUpload(b(0, 0, 1, 0, 2, 0, 3, 0, 4))).toEqual({ kind: 'unknown' });
  });
});

describe('FrameAligner', () => {
  it('never splits a frame, whatever the chunking, and skips a header', async () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const chunks: Buffer[] = [];
    for (let at = 0, n = 1; at < data.length; at += n, n = (n % 7) + 1) chunks.push(data.subarray(at, at + n));
    const aligner = new FrameAligner(4, 10);
    const out: Buffer[] = [];
    aligner.on('data', (c: Buffer) => out.push(c));
    await new Promise((resolve, reject) => Readable.from(chunks).pipe(aligner).on('end', resolve).on('error', reject));
    for (const c of out) expect(c.length % 4).toBe(0);
    const joined = Buffer.concat(out);
    expect(joined.equals(data.subarray(10, 10 + Math.floor(990 / 4) * 4))).toBe(true);
  });
});

describe('TokenLab client', () => {
  it('never shows the key when inspected or serialised', () => {
    const key = 'sk-inspect-0123456789abcdefghij';
    const c = new TokenLab({ apiKey: key, baseURL: 'http://127.0.0.1:9/v1' });
    expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(key);
    expect(JSON.stringify(c)).not.toContain(key);
    void c.close();
  });

  it('reads TOKENLAB_API_KEY / TOKENLAB_BASE_URL and refuses a bad baseURL', async () => {
    const old = { key: process.env.TOKENLAB_API_KEY, url: process.env.TOKENLAB_BASE_URL };
    try {
      process.env.TOKENLAB_BASE_URL = 'http://127.0.0.1:9/custom/v1/';
      delete process.env.TOKENLAB_API_KEY;
      const c = new TokenLab();
      expect(c.baseURL).toBe('http://127.0.0.1:9/custom/v1');
      const err = await c.models.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/TOKENLAB_API_KEY/);
      await c.close();
      expect(() => new TokenLab({ baseURL: 'not a url' })).toThrow(InputError);
      expect(() => new TokenLab({ baseURL: 'https://user:pw@example.com/v1' })).toThrow(InputError);
    } finally {
      if (old.key === undefined) delete process.env.TOKENLAB_API_KEY;
      else process.env.TOKENLAB_API_KEY = old.key;
      if (old.url === undefined) delete process.env.TOKENLAB_BASE_URL;
      else process.env.TOKENLAB_BASE_URL = old.url;
    }
  });
});
