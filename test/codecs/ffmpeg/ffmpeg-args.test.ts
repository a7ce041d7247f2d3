import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { ffmpegArgs } from '../../../src/codecs/ffmpeg/ffmpeg-args.js';

describe('ffmpegArgs', () => {
  it('builds a non-interactive argument array', () => {
    const args = ffmpegArgs()
      .input('pipe:0', { format: 's16le', sampleRate: 24000, channels: 1 })
      .output('pipe:1', { format: 'ogg', codec: 'libopus', sampleRate: 48000, channels: 1, bitrate: 32000 })
      .build();
    expect(args).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 's16le', '-ar', '24000', '-ac', '1', '-i', 'pipe:0',
      '-vn', '-sn', '-dn', '-c:a', 'libopus', '-ar', '48000', '-ac', '1', '-b:a', '32000', '-f', 'ogg', 'pipe:1',
    ]);
  });

  it('supports seeking, duration, filters, metadata, log level and no-overwrite', () => {
    const args = ffmpegArgs()
      .logLevel('warning')
      .overwrite(false)
      .global('-threads', '1')
      .input('in.mp3', { seekMs: 1500, durationMs: 250 })
      .output('out.wav', { filters: ['volume=0.5', 'aresample=16000'], metadata: { title: 'a b' }, durationMs: 100, keepNonAudio: true })
      .build();
    expect(args.slice(0, 7)).toEqual(['-hide_banner', '-nostdin', '-loglevel', 'warning', '-n', '-threads', '1']);
    expect(args).toContain('1.500');
    expect(args.join(' ')).toContain('-af volume=0.5,aresample=16000');
    expect(args.join(' ')).toContain('-metadata title=a b');
    expect(args).not.toContain('-vn');
  });

  it('keeps paths that start with a dash from being read as options', () => {
    const args = ffmpegArgs().input('-weird.wav').output('-out.wav').build();
    expect(args).toContain('file:-weird.wav');
    expect(args.at(-1)).toBe('file:-out.wav');
  });

  it('rejects bad values with InputError', () => {
    expect(() => ffmpegArgs().input('x', { sampleRate: 0 })).toThrow(InputError);
    expect(() => ffmpegArgs().input('x', { channels: 1.5 })).toThrow(InputError);
    expect(() => ffmpegArgs().output('x', { codec: 'libopus; rm -rf /' })).toThrow(InputError);
    expect(() => ffmpegArgs().output('x', { bitrate: 'fast' })).toThrow(InputError);
    expect(() => ffmpegArgs().input('x', { seekMs: -1 })).toThrow(InputError);
    expect(() => ffmpegArgs().output('x').build()).toThrow(/input/);
    expect(() => ffmpegArgs().input('x').build()).toThrow(/output/);
  });
});
