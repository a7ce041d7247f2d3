import { describe, expect, it } from 'vitest';
import {
  FormatError,
  InputError,
  TokenLabAudioError,
  REALTIME_PCM,
  DISCORD_PCM,
  bytesPerFrame,
  bytesToMs,
  msToBytes,
  pcmFormat,
  f32ToS16,
  s16ToF32,
  remixChannels,
} from '../../../src/index.js';
import { floatToS16, bytesToF32, f32ToBytes, sanitizeF32 } from '../../../src/core/pcm/pcm-convert.js';

describe('pcm formats', () => {
  it('computes frame sizes and durations', () => {
    expect(bytesPerFrame(REALTIME_PCM)).toBe(2);
    expect(bytesPerFrame(DISCORD_PCM)).toBe(4);
    expect(msToBytes(DISCORD_PCM, 20)).toBe(3840);
    expect(bytesToMs(REALTIME_PCM, 960)).toBe(20);
    expect(bytesToMs(REALTIME_PCM, 961)).toBe(20);
  });

  it.each([
    [{ sampleRate: 7999, channels: 1, encoding: 's16le' }, /sampleRate 7999/],
    [{ sampleRate: 44100.5, channels: 1, encoding: 's16le' }, /whole number/],
    [{ sampleRate: 400000, channels: 1, encoding: 's16le' }, /384000/],
    [{ sampleRate: 16000, channels: 0, encoding: 's16le' }, /channels 0/],
    [{ sampleRate: 16000, channels: 9, encoding: 's16le' }, /1 to 8/],
    [{ sampleRate: 16000, channels: 1, encoding: 'u8' }, /unknown/],
  ])('rejects %j with a typed error', (f, msg) => {
    expect(() => pcmFormat(f as never)).toThrow(FormatError);
    expect(() => pcmFormat(f as never)).toThrow(msg);
  });

  it('errors carry codes and brands', () => {
    const e = new FormatError('x');
    expect(e).toBeInstanceOf(TokenLabAudioError);
    expect(e).toBeInstanceOf(FormatError);
    expect(e).not.toBeInstanceOf(InputError);
    expect(e.code).toBe('TLA_ERR_FORMAT');
    expect(e.name).toBe('FormatError');
    // A copy from another install is recognised by its brand, not its prototype.
    const foreign = Object.assign(new Error('y'), { [Symbol.for('tokenlab-audio.error.FormatError')]: true });
    expect(foreign).toBeInstanceOf(FormatError);
  });
});

describe('pcm conversions', () => {
  it('s16 -> f32 -> s16 is exact for every value', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    const f = new Float32Array(65536);
    const back = new Int16Array(65536);
    s16ToF32(all, f);
    f32ToS16(f, back);
    expect(back).toEqual(all);
  });

  it('rounds, clips and drops NaN', () => {
    expect(floatToS16(1)).toBe(32767);
    expect(floatToS16(-1)).toBe(-32768);
    expect(floatToS16(2)).toBe(32767);
    expect(floatToS16(NaN)).toBe(0);
    expect(floatToS16(Infinity)).toBe(32767);
    expect(floatToS16(0.5 / 32768)).toBe(1);
    const s = new Float32Array([NaN, Infinity, -Infinity, 0.25]);
    expect(sanitizeF32(s)).toBe(3);
    expect(Array.from(s)).toEqual([0, 1, -1, 0.25]);
  });

  it('handles unaligned buffers', () => {
    const raw = Buffer.alloc(9);
    const odd = raw.subarray(1);
    odd.writeInt16LE(-2, 0);
    odd.writeInt16LE(16384, 2);
    const f = new Float32Array(2);
    bytesToF32(odd, 's16le', f, 2);
    expect(Array.from(f)).toEqual([-2 / 32768, 0.5]);
    const out = Buffer.alloc(5).subarray(1);
    expect(f32ToBytes(f, 's16le', out, 2)).toBe(4);
    expect(out.readInt16LE(0)).toBe(-2);
    expect(out.readInt16LE(2)).toBe(16384);
  });

  it('remixes channels', () => {
    const stereo = new Float32Array([1, 0, 0.5, 0.5]);
    const mono = new Float32Array(2);
    remixChannels(stereo, 2, mono, 1, 2);
    expect(Array.from(mono)).toEqual([0.5, 0.5]);
    const up = new Float32Array(4);
    remixChannels(mono, 1, up, 2, 2);
    expect(Array.from(up)).toEqual([0.5, 0.5, 0.5, 0.5]);
    const six = new Float32Array(12).fill(0.25);
    const four = new Float32Array(8);
    remixChannels(six, 6, four, 4, 2);
    expect(Array.from(four)).toEqual(new Array(8).fill(0.25));
  });
});
