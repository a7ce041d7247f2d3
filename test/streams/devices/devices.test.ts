import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { STT_PCM, DISCORD_PCM, type PcmFormat } from '../../../src/core/pcm/pcm-format.js';
import { FfmpegNotFoundError } from '../../../src/codecs/ffmpeg/ffmpeg-errors.js';
import { AudioDeviceError, deviceFailureReason } from '../../../src/streams/devices/audio-device-error.js';
import { defaultAudioBackend, deviceArgs } from '../../../src/streams/devices/device-args.js';
import { mic } from '../../../src/streams/devices/mic.js';
import { speaker } from '../../../src/streams/devices/speaker.js';
import { useVirtualClock } from '../discord/discord-harness.js';

const F32_STEREO: PcmFormat = { sampleRate: 44_100, channels: 2, encoding: 'f32le' };

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function errorOf(stream: NodeJS.EventEmitter): Promise<Error> {
  return new Promise((resolve) => stream.once('error', resolve));
}

function closed(stream: NodeJS.EventEmitter & { closed: boolean }): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

describe('deviceArgs (pure, every platform)', () => {
  it('chooses ALSA on Linux, PulseAudio when the ffmpeg build has it', () => {
    expect(defaultAudioBackend('linux', 'capture')).toBe('alsa');
    expect(defaultAudioBackend('linux', 'capture', new Set(['alsa', 'pulse']))).toBe('pulse');
    const cap = deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'linux' });
    expect(cap.program).toBe('ffmpeg');
    expect(cap.args).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer',
      '-f', 'alsa', '-sample_rate', '16000', '-channels', '1', '-i', 'default',
      '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 's16le', '-flush_packets', '1', 'pipe:1',
    ]);
    const play = deviceArgs({ direction: 'playback', format: DISCORD_PCM, platform: 'linux', device: 'plughw:1,0' });
    expect(play.args).toEqual(['-hide_banner', '-nostdin', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-f', 's16le', '-ar', '48000', '-ac', '2', '-i', 'pipe:0', '-f', 'alsa', 'plughw:1,0']);
    const pulse = deviceArgs({ direction: 'playback', format: F32_STEREO, platform: 'linux', availableDevices: new Set(['pulse']), device: 'alsa_output.usb' });
    expect(pulse.backend).toBe('pulse');
    expect(pulse.args.slice(8)).toEqual(['-f', 'f32le', '-ar', '44100', '-ac', '2', '-i', 'pipe:0', '-f', 'pulse', '-device', 'alsa_output.usb', 'tokenlab-audio']);
    const pulseIn = deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'linux', backend: 'pulse' });
    expect(pulseIn.args).toContain('pulse');
    expect(pulseIn.device).toBe('default');
  });

  it('uses AVFoundation for capture and AudioToolbox for playback on macOS', () => {
    const cap = deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'darwin' });
    expect(cap.backend).toBe('avfoundation');
    expect(cap.args).toEqual(expect.arrayContaining(['-f', 'avfoundation', '-i', ':0']));
    expect(deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'darwin', device: 'MacBook Pro Microphone' }).args).toContain(':MacBook Pro Microphone');
    const play = deviceArgs({ direction: 'playback', format: DISCORD_PCM, platform: 'darwin', device: '1' });
    expect(play.args.slice(-5)).toEqual(['-f', 'audiotoolbox', '-audio_device_index', '1', '-']);
    expect(() => deviceArgs({ direction: 'playback', format: DISCORD_PCM, platform: 'darwin', device: 'Speakers' })).toThrow(InputError);
  });

  it('uses DirectShow for capture (a device name is required) and ffplay for playback on Windows', () => {
    expect(() => deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'win32' })).toThrow(/list_devices/);
    const cap = deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'win32', device: 'Microphone (Realtek Audio)' });
    expect(cap.args).toEqual(expect.arrayContaining(['-f', 'dshow', '-audio_buffer_size', '20', '-i', 'audio=Microphone (Realtek Audio)']));
    const play = deviceArgs({ direction: 'playback', format: STT_PCM, platform: 'win32' });
    expect(play.program).toBe('ffplay');
    expect(play.args).toEqual(['-hide_banner', '-loglevel', 'error', '-nodisp', '-autoexit', '-probesize', '32', '-analyzeduration', '0', '-f', 's16le', '-sample_rate', '16000', '-ch_layout', 'mono', '-i', 'pipe:0']);
  });

  it('rejects a backend going the wrong way, option-like device names and unknown platforms', () => {
    expect(() => deviceArgs({ direction: 'playback', format: STT_PCM, platform: 'linux', backend: 'lavfi' })).toThrow(InputError);
    expect(() => deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'linux', backend: 'null' })).toThrow(InputError);
    expect(() => deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'linux', device: '-y' })).toThrow(InputError);
    expect(() => deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'aix' })).toThrow(InputError);
    expect(deviceArgs({ direction: 'capture', format: STT_PCM, platform: 'freebsd' }).backend).toBe('oss');
  });

  it('extracts the reason from ffmpeg stderr', () => {
    const tail = 'ALSA lib pcm.c:2565:(snd_pcm_open_noupdate) Unknown PCM nope\n[alsa @ 0x1bbefbc0] cannot open audio device nope (No such file or directory)\nnope: Input/output error\n';
    expect(deviceFailureReason(tail)).toBe('cannot open audio device nope (No such file or directory)');
  });
});

describe('mic and speaker through the real ffmpeg (Linux stand-ins: lavfi source, null sink, missing ALSA device)', () => {
  it('captures a lavfi sine as real-time PCM in whole frames, and ends when the source ends', async () => {
    const m = mic({ format: { sampleRate: 16_000, channels: 2, encoding: 's16le' }, backend: 'lavfi', device: 'sine=frequency=500:sample_rate=48000:duration=0.6' });
    const chunks: Buffer[] = [];
    m.on('data', (c: Buffer) => chunks.push(c));
    await once(m, 'end');
    for (const c of chunks) expect(c.length % 4).toBe(0);
    const pcm = Buffer.concat(chunks);
    const frames = pcm.length / 4;
    expect(frames).toBeGreaterThan(16_000 * 0.5);
    expect(frames).toBeLessThan(16_000 * 0.7);
    // 500 Hz: about 1000 zero crossings per second on the left channel.
    let crossings = 0;
    for (let i = 1; i < frames; i++) if ((pcm.readInt16LE(i * 4) >= 0) !== (pcm.readInt16LE((i - 1) * 4) >= 0)) crossings++;
    expect(crossings / (frames / 16_000)).toBeGreaterThan(900);
    expect(crossings / (frames / 16_000)).toBeLessThan(1100);
    await closed(m).catch(() => undefined);
    expect(alive(m.pid)).toBe(false);
  });

  it('stop() ends capture cleanly and destroy() mid-stream leaves no ffmpeg behind', async () => {
    const m = mic({ format: STT_PCM, backend: 'lavfi', device: 'sine=frequency=300' });
    await once(m, 'data');
    const pid = m.pid;
    expect(alive(pid)).toBe(true);
    const ended = once(m, 'end');
    m.stop();
    m.resume();
    await ended;
    await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);

    const controller = new AbortController();
    const m2 = mic({ format: STT_PCM, backend: 'lavfi', device: 'sine=frequency=300', signal: controller.signal });
    await once(m2, 'data');
    const err = errorOf(m2);
    const done = closed(m2);
    controller.abort();
    expect((await err).name).toBe('AbortError');
    await done;
    expect(alive(m2.pid)).toBe(false);
  });

  it('names the device, backend and platform when capture cannot start', async () => {
    const m = mic({ format: STT_PCM, backend: 'alsa', device: 'tokenlab_missing_device' });
    const err = await errorOf(m);
    expect(err).toBeInstanceOf(AudioDeviceError);
    expect(err.message).toMatch(/Could not start capture from ALSA device "tokenlab_missing_device" on linux/);
    expect((err as AudioDeviceError).atStart).toBe(true);
    await closed(m);
    expect(alive(m.pid)).toBe(false);
  });

  it('plays paced through the null sink and counts exactly what was played', async () => {
    // A virtual clock decides the pace: the ffmpeg child and its pipes still run for real.
    const undoClock = useVirtualClock();
    let s: ReturnType<typeof speaker>;
    try {
      s = speaker({ format: STT_PCM, backend: 'null', cushionMs: 40 });
      const pcm = Buffer.alloc(16_000 * 2 * 0.3, 1); // 300 ms
      s.end(pcm);
      await vi.advanceTimersByTimeAsync(100);
      // Paced in real time, not dumped: 100 ms on the clock plays about 100 ms (plus the cushion), not 300.
      expect(s.playedMs).toBeGreaterThanOrEqual(100);
      expect(s.playedMs).toBeLessThanOrEqual(100 + 40 + 20);
      await vi.advanceTimersByTimeAsync(300);
    } finally {
      undoClock();
    }
    await once(s, 'finish');
    expect(s.playedMs).toBe(300);
    await closed(s);
    expect(alive(s.pid)).toBe(false);
  });

  it('clear() on the speaker drops queued audio at once (barge-in)', async () => {
    const s = speaker({ format: STT_PCM, backend: 'null', cushionMs: 20 });
    s.write(Buffer.alloc(16_000 * 2 * 2, 1)); // 2 s
    await new Promise((r) => setTimeout(r, 150));
    const dropped = s.clear();
    expect(dropped + s.playedMs).toBe(2000);
    s.end();
    await once(s, 'finish');
    expect(s.playedMs).toBeLessThan(1000);
  });

  it('names the device when playback cannot start, and leaves no process', async () => {
    const s = speaker({ format: STT_PCM, backend: 'alsa', device: 'tokenlab_missing_device' });
    s.write(Buffer.alloc(3200));
    const err = await errorOf(s);
    expect(err).toBeInstanceOf(AudioDeviceError);
    expect(err.message).toMatch(/Could not start playback on ALSA device "tokenlab_missing_device" on linux: .*tokenlab_missing_device/);
    await closed(s);
    expect(alive(s.pid)).toBe(false);
  });

  it('reports a missing ffmpeg with FfmpegNotFoundError', () => {
    expect(() => mic({ format: STT_PCM, backend: 'lavfi', ffmpegPath: '/nonexistent/ffmpeg' })).toThrow(FfmpegNotFoundError);
    expect(() => speaker({ format: STT_PCM, backend: 'null', ffmpegPath: '/nonexistent/ffmpeg' })).toThrow(FfmpegNotFoundError);
  });
});

describe('devices with an already-aborted signal', () => {
  it('mic and speaker start no ffmpeg child and fail with an AbortError', async () => {
    const settled = (stream: NodeJS.EventEmitter): Promise<Error | undefined> =>
      new Promise((resolve) => {
        let err: Error | undefined;
        stream.on('error', (e: Error) => (err = e));
        stream.on('close', () => resolve(err));
      });
    const m = mic({ format: STT_PCM, backend: 'lavfi', device: 'sine=frequency=300', signal: AbortSignal.abort() });
    const micDone = settled(m);
    const s = speaker({ format: STT_PCM, backend: 'null', signal: AbortSignal.abort() });
    const speakerDone = settled(s);
    expect(m.pid).toBeUndefined();
    expect(s.pid).toBeUndefined();
    expect((await micDone)?.name).toBe('AbortError');
    expect((await speakerDone)?.name).toBe('AbortError');
  });
});
