import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { decodeUploadToPcm } from '../../src/emulator/upload-decoder.js';
import { VadChunker, type VadUtterance } from '../../src/streams/vad-chunker.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../src/emulator/emulator-options.js';
import { writeLectureWav } from '../../scripts/make-lecture-audio.js';

let emu: EmulatorHandle;
const auth = { authorization: 'Bearer sk-test' };

/** 16-bit WAV with quiet noise and harmonic bursts at the given [startS, endS] spans. */
export function burstWav(spans: [number, number][], totalS: number, sampleRate = 16000, channels = 1): Buffer {
  const frames = Math.round(totalS * sampleRate);
  const data = Buffer.alloc(frames * channels * 2);
  let seed = 12345;
  for (let i = 0; i < frames; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    let v = ((seed / 0x7fffffff) - 0.5) * 0.002;
    const t = i / sampleRate;
    if (spans.some(([a, b]) => t >= a && t < b)) {
      v += 0.3 * Math.sin(2 * Math.PI * 200 * t) + 0.15 * Math.sin(2 * Math.PI * 400 * t) + 0.08 * Math.sin(2 * Math.PI * 1200 * t);
    }
    for (let c = 0; c < channels; c++) data.writeInt16LE(Math.round(v * 32767), (i * channels + c) * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const WAV = burstWav([[0.5, 1.2], [2, 2.8]], 3.5);

beforeAll(async () => {
  // Tones are not speech to a VAD: these tests use the energy detector, whose times are exact.
  emu = await startEmulator({ uploadLimitBytes: 1024 * 1024, speechDetector: 'energy' });
});
afterAll(async () => {
  await emu.close();
});

function form(fields: Record<string, string | string[]>, file: Buffer | null = WAV, filename = 'clip.wav'): FormData {
  const fd = new FormData();
  if (file) fd.set('file', new Blob([file], { type: 'audio/wav' }), filename);
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) fd.append(k, item);
  return fd;
}

function post(path: string, fd: FormData, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.url}${path}`, { method: 'POST', headers: { ...auth, ...extra }, body: fd });
}

describe('POST /v1/audio/transcriptions', () => {
  it('describes the detected speech segments with their real times (json)', async () => {
    const res = await post('/audio/transcriptions', form({ model: 'whisper-1' }));
    expect(res.status).toBe(200);
    const json = (await res.json()) as any;
    expect(json.text).toBe('[speech 0.50–1.20 s] [speech 2.00–2.80 s]');
  });

  it('gives exact SRT and VTT cues', async () => {
    const srt = await (await post('/audio/transcriptions', form({ model: 'whisper-1', response_format: 'srt' }))).text();
    expect(srt).toBe('1\n00:00:00,500 --> 00:00:01,200\n[speech 0.50–1.20 s]\n\n2\n00:00:02,000 --> 00:00:02,800\n[speech 2.00–2.80 s]\n');
    const vttRes = await post('/audio/transcriptions', form({ model: 'whisper-1', response_format: 'vtt' }));
    expect(vttRes.headers.get('content-type')).toMatch(/^text\/vtt/);
    expect(await vttRes.text()).toBe('WEBVTT\n\n00:00:00.500 --> 00:00:01.200\n[speech 0.50–1.20 s]\n\n00:00:02.000 --> 00:00:02.800\n[speech 2.00–2.80 s]\n');
  });

  it('answers text as text/plain', async () => {
    const res = await post('/audio/transcriptions', form({ model: 'whisper-1', response_format: 'text' }));
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('[speech 0.50–1.20 s] [speech 2.00–2.80 s]\n');
  });

  it('gives verbose_json with duration, segments and words on request', async () => {
    const res = await post('/audio/transcriptions', form({ model: 'whisper-1', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'] }));
    const json = (await res.json()) as any;
    expect(json.duration).toBe(3.5);
    expect(json.language).toBe('english');
    expect(json.segments.map((s: any) => [s.id, s.start, s.end])).toEqual([[0, 0.5, 1.2], [1, 2, 2.8]]);
    expect(json.words.length).toBeGreaterThanOrEqual(2);
    expect(json.words[0].start).toBe(0.5);
  });

  it('gives diarized_json on the diarize model (one speaker: the emulator does not tell voices apart)', async () => {
    const json = (await (await post('/audio/transcriptions', form({ model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json' }))).json()) as any;
    expect(json.segments.map((s: any) => [s.type, s.speaker, s.start, s.end])).toEqual([
      ['transcript.text.segment', 'A', 0.5, 1.2],
      ['transcript.text.segment', 'A', 2, 2.8],
    ]);
  });

  it('streams transcript.text.delta events then done when stream=true', async () => {
    const res = await post('/audio/transcriptions', form({ model: 'gpt-4o-transcribe', stream: 'true' }));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean).map((b) => JSON.parse(b.slice('data: '.length)));
    expect(events.map((e) => e.type)).toEqual(['transcript.text.delta', 'transcript.text.delta', 'transcript.text.done']);
    expect(events.slice(0, 2).map((e) => e.delta).join('')).toBe(events[2].text);
    expect(events[2].usage.total_tokens).toBeGreaterThan(0);
  });

  it('decodes other rates and channel counts to the same segments', async () => {
    const stereo = burstWav([[0.5, 1.2], [2, 2.8]], 3.5, 44100, 2);
    const json = (await (await post('/audio/transcriptions', form({ model: 'whisper-1', response_format: 'verbose_json' }, stereo))).json()) as any;
    expect(json.segments).toHaveLength(2);
    expect(Math.abs(json.segments[0].start - 0.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(json.segments[1].end - 2.8)).toBeLessThanOrEqual(0.02);
  });

  it('records the fields and file of the upload', async () => {
    await (await post('/audio/transcriptions', form({ model: 'whisper-1', language: 'en' }))).json();
    const last = emu.requests.at(-1)!;
    expect(last.fields).toEqual({ model: 'whisper-1', language: 'en' });
    expect(last.file).toEqual({ fieldName: 'file', filename: 'clip.wav', contentType: 'audio/wav', byteLength: WAV.length });
  });

  it.each([
    [{}, 'model', 'required'],
    [{ model: 'whisper-1', response_format: 'xml' }, 'response_format', 'invalid_enum_value'],
    [{ model: 'whisper-1', temperature: '1.5' }, 'temperature', 'out_of_range'],
    [{ model: 'whisper-1', 'timestamp_granularities[]': 'sentence' }, 'timestamp_granularities', 'invalid_enum_value'],
    [{ model: 'gpt-4o-transcribe', response_format: 'srt' }, 'response_format', 'unsupported_value'],
  ])('rejects invalid fields (#%#) naming the field', async (fields, field, code) => {
    const res = await post('/audio/transcriptions', form(fields as Record<string, string>));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).validation_errors[0]).toMatchObject({ field, code });
  });

  it('rejects a missing file, an empty file and a non-audio file', async () => {
    const missing = await post('/audio/transcriptions', form({ model: "whisper-1" }, null));
    expect(((await missing.json()) as any).error.param).toBe('file');
    const empty = await post('/audio/transcriptions', form({ model: 'whisper-1' }, Buffer.alloc(0)));
    expect(((await empty.json()) as any).validation_errors[0].code).toBe('empty_file');
    const text = await post('/audio/transcriptions', form({ model: 'whisper-1' }, Buffer.from('this is not audio at all '.repeat(200)), 'notes.txt'));
    expect(text.status).toBe(400);
    expect(((await text.json()) as any).error.code).toBe('invalid_file_format');
  });

  it('rejects a non-multipart body', async () => {
    const res = await fetch(`${emu.url}/audio/transcriptions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });

  it('answers 413 at once when Content-Length is over the limit', async () => {
    const big = Buffer.alloc(1200 * 1024);
    const res = await post('/audio/transcriptions', form({ model: 'whisper-1' }, big));
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('request_too_large');
  });

  it('stops reading a chunked upload once it passes the limit, answers 413 and closes', async () => {
    const url = new URL(`${emu.url}/audio/transcriptions`);
    const result = await new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
      let written = 0;
      let stopped = false;
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=XyZ', 'transfer-encoding': 'chunked' } },
        (res) => {
          stopped = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, written }));
        },
      );
      req.on('error', (error) => (stopped ? undefined : reject(error)));
      req.write('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n');
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (!stopped && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.message).toMatch(/1048576/);
    // The server stopped reading long before the client ran out of data.
    expect(result.written).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('POST /v1/audio/translations', () => {
  it('translates with whisper-1 by default (task translate, english)', async () => {
    const fd = form({ response_format: 'verbose_json' });
    const json = (await (await post('/audio/translations', fd)).json()) as any;
    expect(json.task).toBe('translate');
    expect(json.language).toBe('english');
    expect(json.segments).toHaveLength(2);
  });

  it('refuses a model that cannot translate', async () => {
    const res = await post('/audio/translations', form({ model: 'gpt-4o-transcribe' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('unsupported_operation');
  });
});

describe('speech segments from the VAD (default detector)', () => {
  it('finds the segments the VAD finds, with edges where the speech waveform starts and stops (±30 ms)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tla-emu-seg-'));
    const vadEmu = await startEmulator({});
    try {
      // Sentences with short and long pauses over a quiet noise floor; `clips` say where each one's sound is.
      const lecture = await writeLectureWav(path.join(dir, 'talk.wav'), { durationMs: 40_000, seed: 21, longPauseMs: 14_000, monologueMs: 20_000 });
      const wav = readFileSync(lecture.path);
      const fd = new FormData();
      fd.set('file', new Blob([wav], { type: 'audio/wav' }), 'talk.wav');
      fd.set('model', 'whisper-1');
      fd.set('response_format', 'verbose_json');
      const json = (await (await fetch(`${vadEmu.url}/audio/transcriptions`, { method: 'POST', headers: auth, body: fd })).json()) as any;

      const pcm: Buffer[] = [];
      for await (const chunk of decodeUploadToPcm(Readable.from([wav]))) pcm.push(chunk as Buffer);
      const chunker = new VadChunker({ format: { sampleRate: 16000, channels: 1, encoding: 's16le' } });
      const vad: [number, number][] = [];
      chunker.on('data', (u: VadUtterance) => vad.push([u.speechStartMs, u.speechEndMs]));
      await new Promise((resolve) => {
        chunker.on('end', resolve);
        chunker.end(Buffer.concat(pcm));
      });
      expect(vad.length, JSON.stringify({ vad, clips: lecture.clips })).toBeGreaterThanOrEqual(2);
      const segments = json.segments.map((s: any) => [s.start * 1000, s.end * 1000] as [number, number]);
      expect(segments).toHaveLength(vad.length);
      const nearest = (t: number, key: 'startMs' | 'endMs') => Math.min(...lecture.clips.map((c) => Math.abs(c[key] - t)));
      for (const [i, [start, end]] of segments.entries()) {
        expect(nearest(start, 'startMs')).toBeLessThanOrEqual(30);
        expect(nearest(end, 'endMs')).toBeLessThanOrEqual(30);
        // The VAD's own edges are coarser (32 ms frames, an end that lags): the segment is the VAD's, moved.
        expect(Math.abs(start - vad[i]![0])).toBeLessThanOrEqual(200);
        expect(end).toBeLessThanOrEqual(vad[i]![1] + 200);
      }
      expect(json.segments[0].text).toBe(`[speech ${json.segments[0].start.toFixed(2)}–${json.segments[0].end.toFixed(2)} s]`);
    } finally {
      await vadEmu.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('local recognizer command', () => {
  it('transcribes each detected segment with the configured command (16 kHz WAV on stdin)', async () => {
    // A stand-in recognizer: reports the WAV it was given, so the test can check what it received.
    const script = "let n=0;process.stdin.on('data',d=>n+=d.length).on('end',()=>{console.log('heard '+((n-44)/32).toFixed(0)+' ms')})";
    const withRecognizer = await startEmulator({ speechDetector: 'energy', recognizerCommand: [process.execPath, '-e', script] });
    try {
      const fd = new FormData();
      fd.set('file', new Blob([WAV], { type: 'audio/wav' }), 'clip.wav');
      fd.set('model', 'whisper-1');
      fd.set('response_format', 'verbose_json');
      const json = (await (await fetch(`${withRecognizer.url}/audio/transcriptions`, { method: 'POST', headers: auth, body: fd })).json()) as any;
      expect(json.segments.map((s: any) => s.text)).toEqual(['heard 700 ms', 'heard 800 ms']);
      expect(json.text).toBe('heard 700 ms heard 800 ms');
      expect(json.segments[0].start).toBe(0.5);
    } finally {
      await withRecognizer.close();
    }
  });
});

describe('Expect: 100-continue', () => {
  it('answers 413 without asking for the body when the declared size is over the limit', async () => {
    const url = new URL(`${emu.url}/audio/transcriptions`);
    const result = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...auth, 'content-type': 'multipart/form-data; boundary=B', 'content-length': String(50 * 1024 * 1024), expect: '100-continue' },
      });
      req.on('continue', () => {
        continued = true;
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(result).toEqual({ status: 413, continued: false });
  });
});

describe('bad uploads never hang', () => {
  it('answers 400 for a large non-audio file after reading all of it', async () => {
    const junk = Buffer.alloc(900 * 1024, 'not audio, just text. ');
    const res = await post('/audio/transcriptions', form({ model: 'whisper-1' }, junk, 'junk.wav'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('invalid_file_format');
    expect(emu.requests.at(-1)?.file?.byteLength).toBe(junk.length);
  });

  it('answers 400 for a malformed multipart body that keeps coming', async () => {
    const body = Buffer.concat([Buffer.from('--B\r\nContent-Type: text/plain\r\n\r\nno disposition here\r\n'), Buffer.alloc(800 * 1024, 'x'), Buffer.from('\r\n--B--\r\n')]);
    const res = await fetch(`${emu.url}/audio/transcriptions`, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=B' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).validation_errors[0].code).toBe('invalid_multipart');
    // The connection is still usable.
    expect((await fetch(`${emu.url}/models`, { headers: auth })).status).toBe(200);
  });

  it('answers 400 for a body that ends before the closing boundary', async () => {
    const body = Buffer.from('--B\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF');
    const res = await fetch(`${emu.url}/audio/transcriptions`, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=B' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/closing boundary/);
  });
});

describe('cut bodies with extra file parts', () => {
  it('survives a body cut inside a skipped file part', async () => {
    const body = Buffer.from('--B\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--B\r\nContent-Disposition: form-data; name="attachment"; filename="x.bin"\r\n\r\nabc');
    const res = await fetch(`${emu.url}/audio/transcriptions`, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=B' }, body });
    expect(res.status).toBe(400);
    expect((await fetch(`${emu.url}/models`, { headers: auth })).status).toBe(200);
  });
});

describe('client aborts', () => {
  it('an upload cut by the client leaves the emulator healthy', async () => {
    const url = new URL(`${emu.url}/audio/transcriptions`);
    await new Promise<void>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=B', 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write('--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n');
      req.write(WAV.subarray(0, 20000), () => setTimeout(() => req.destroy(), 50));
    });
    const res = await fetch(`${emu.url}/models`, { headers: auth });
    expect(res.status).toBe(200);
  });
});
