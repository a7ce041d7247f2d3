import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, containerFromContentType, sniffAudio, sniffMagicBytes } from '../../src/codecs/sniff.js';
import { detectSpeechFormat } from '../../src/api/speech/speech-format.js';
import { sniffUpload } from '../../src/api/upload-type.js';
import { FIXTURE_DIR, availableFixtures } from '../../scripts/make-fixtures.js';
import { seededRandom } from './test-audio.js';

const head = (file: string, n = SNIFF_BYTES): Buffer => readFileSync(path.join(FIXTURE_DIR, file)).subarray(0, n);

const WAV_CODEC: Record<string, string> = { pcm_u8: 'pcm', pcm_s16le: 'pcm', pcm_s24le: 'pcm', pcm_s32le: 'pcm', pcm_f32le: 'float', pcm_f64le: 'float', mulaw: 'mulaw', alaw: 'alaw' };
const EXPECTED_CODEC: Record<string, string | undefined> = { opus: 'opus', vorbis: 'vorbis', flac: 'flac', mp3: 'mp3', aac: 'aac' };

describe('sniffAudio on every fixture', () => {
  for (const f of availableFixtures()) {
    it(`${f.file} -> ${f.container}`, () => {
      const r = sniffAudio(head(f.file));
      if (f.container === 'pcm') {
        // Raw samples have no signature; without a label we must not guess a container.
        expect(['unknown', 'mp3', 'aac']).toContain(r.container);
        expect(r.confident && r.container !== 'unknown' ? r.reason : 'ok').toBe('ok');
        const labelled = sniffAudio(head(f.file), f.codec === 'mulaw' ? 'audio/basic' : f.codec === 'alaw' ? 'audio/PCMA' : 'audio/pcm;rate=24000');
        expect(labelled.container).toBe('pcm');
        return;
      }
      expect(r.container).toBe(f.container);
      expect(r.confident).toBe(true);
      expect(r.source).toBe('magic');
      if (f.container === 'wav') expect(r.codec).toBe(WAV_CODEC[f.codec]);
      else if (f.container !== 'mp4') expect(r.codec).toBe(EXPECTED_CODEC[f.codec]);
    });
  }
});

describe('sniffAudio with a Content-Type', () => {
  it('parses a WAV answered to a pcm request as WAV', () => {
    const r = sniffAudio(head('sine.s16.wav'), 'audio/pcm');
    expect(r.container).toBe('wav');
    expect(r.contentTypeMismatch).toBe(true);
    expect(r.reason).toMatch(/bytes win/);
  });

  it('treats raw PCM labelled audio/wav as raw PCM, not as a header', () => {
    const r = sniffAudio(head('chirp.s16le.pcm'), 'audio/wav');
    expect(r).toMatchObject({ container: 'pcm', codec: 'pcm', confident: false, contentTypeMismatch: true });
    expect(r.reason).toMatch(/no RIFF\/WAVE header/);
  });

  it('keeps PCM layout hints from the Content-Type', () => {
    const r = sniffAudio(head('noise.s16le.pcm'), 'audio/L16; rate=16000; channels=1');
    expect(r.pcm).toEqual({ sampleRate: 16000, channels: 1 });
  });

  it('a lone frame-sync pattern in PCM does not overrule a pcm label', () => {
    // 0xFFFB9000 is a valid-looking MPEG Layer III header; followed by zeros, no second frame.
    const bytes = Buffer.alloc(2048);
    bytes.set([0xff, 0xfb, 0x90, 0x00]);
    expect(sniffAudio(bytes, 'audio/pcm').container).toBe('pcm');
    // Without a label, a sync word with no second frame where it should be is not MP3 either.
    expect(sniffAudio(bytes).container).toBe('unknown');
    // Too short to check for a second frame: reported as MP3, unless a label says otherwise.
    expect(sniffAudio(bytes.subarray(0, 8)).container).toBe('mp3');
    expect(sniffAudio(bytes.subarray(0, 8), 'audio/pcm').container).toBe('pcm');
  });

  it('maps common types', () => {
    expect(containerFromContentType('audio/mpeg')?.container).toBe('mp3');
    expect(containerFromContentType('audio/ogg; codecs=opus')).toEqual({ container: 'ogg', codec: 'opus' });
    expect(containerFromContentType('audio/opus')?.codec).toBe('opus');
    expect(containerFromContentType('audio/webm;codecs="opus"')).toEqual({ container: 'webm', codec: 'opus' });
    expect(containerFromContentType('audio/x-m4a')?.container).toBe('mp4');
    expect(containerFromContentType('audio/basic')?.codec).toBe('mulaw');
    expect(containerFromContentType('application/octet-stream')).toBeUndefined();
  });

  it('uses the label alone when there are too few bytes', () => {
    const r = sniffAudio(Buffer.from([0x4f]), 'audio/ogg');
    expect(r).toMatchObject({ container: 'ogg', confident: false, source: 'content-type' });
  });
});

describe('sniffAudio on garbage', () => {
  it('0 bytes is unknown, with a reason', () => {
    expect(sniffAudio(new Uint8Array(0))).toMatchObject({ container: 'unknown', confident: false, reason: 'no bytes to look at' });
  });

  it('random bytes are never taken for a container with a real signature', () => {
    const random = seededRandom(12345);
    for (let t = 0; t < 500; t++) {
      const b = new Uint8Array(64);
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(random() * 256);
      const r = sniffAudio(b);
      expect(['unknown', 'mp3', 'aac']).toContain(r.container);
    }
  });

  it('names the ISO BMFF brand and the ID3 case', () => {
    expect(sniffAudio(head('sine.m4a')).reason).toMatch(/ftyp/);
    const id3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x05', 'latin1'), Buffer.alloc(5), head('sine.aac', 100)]);
    expect(sniffAudio(id3)).toMatchObject({ container: 'aac', codec: 'aac' });
    const id3mp3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x05', 'latin1'), Buffer.alloc(5), head('sine.mp3', 100)]);
    expect(sniffAudio(id3mp3).container).toBe('mp3');
  });
});

describe('one sniffer: decode, speech responses and uploads read magic bytes the same way', () => {
  const b = (...parts: (number | string)[]) => Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));
  it('agree on signatures, on ID3 before FLAC, and on frame syncs (reserved MPEG version refused)', () => {
    const id3Flac = b('ID3', 4, 0, 0, 0, 0, 0, 0, 'fLaC', 0, 0, 0, 34);
    expect(sniffAudio(id3Flac).container).toBe('flac');
    expect(detectSpeechFormat(id3Flac, undefined, 'mp3')).toBe('flac');
    expect(sniffUpload(id3Flac)).toMatchObject({ kind: 'audio', ext: 'flac' });
    // 0xFF 0xEB: MPEG version bits 01 (reserved): not MPEG audio anywhere.
    const reserved = b(0xff, 0xeb, 0x90, 0x00, 1, 2, 3, 4);
    expect(sniffMagicBytes(reserved)).toBeUndefined();
    expect(detectSpeechFormat(reserved, undefined, 'unknown-format')).toBe('unknown');
    expect(sniffUpload(reserved)).toEqual({ kind: 'unknown' });
    const mpeg = b(0xff, 0xfb, 0x90, 0x00);
    expect(sniffMagicBytes(mpeg)).toMatchObject({ container: 'mp3', frameSync: true, weak: true });
    expect(detectSpeechFormat(mpeg, undefined, 'wav')).toBe('mp3');
    expect(sniffUpload(mpeg)).toMatchObject({ kind: 'audio', ext: 'mp3' });
  });
});
