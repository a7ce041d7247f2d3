import { execFile, spawn } from 'node:child_process';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ResampleStream } from '../streams/resample-stream.js';
import { voiceTraits } from './voice-synth.js';

const availability = new Map<string, Promise<boolean>>();

/** Whether an espeak-ng executable answers `--version` (checked once per path, asynchronously). */
export function isEspeakAvailable(espeakPath = 'espeak-ng'): Promise<boolean> {
  let known = availability.get(espeakPath);
  if (!known) {
    known = new Promise<boolean>((resolve) => {
      execFile(espeakPath, ['--version'], { timeout: 5000 }, (error, stdout) => resolve(!error && /eSpeak/i.test(String(stdout))));
    });
    availability.set(espeakPath, known);
  }
  return known;
}

/** Options of {@link espeakSpeechPcm}. */
export interface EspeakPcmOptions {
  voice: string;
  speed: number;
  espeakPath?: string | undefined;
  /** Samples (24 kHz) per pushed chunk, roughly. */
  chunkSamples?: number;
  signal?: AbortSignal;
}

/** Strips the WAV header espeak-ng writes to stdout, passing the sample data on. */
class WavDataExtractor extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);
  sampleRate = 22_050;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (!this.head) {
      callback(null, chunk);
      return;
    }
    const head = Buffer.concat([this.head, chunk]);
    let pos = 12;
    while (pos + 8 <= head.length) {
      const id = head.toString('ascii', pos, pos + 4);
      const size = head.readUInt32LE(pos + 4);
      if (id === 'fmt ' && pos + 16 <= head.length) this.sampleRate = head.readUInt32LE(pos + 12);
      if (id === 'data') {
        this.head = undefined;
        callback(null, head.subarray(pos + 8));
        return;
      }
      pos += 8 + size + (size & 1);
    }
    if (head.length > 4096) {
      callback(new Error('espeak-ng produced no WAV data chunk'));
      return;
    }
    this.head = head;
    callback();
  }
}

/**
 * Speech from espeak-ng as 24 kHz mono s16le: the process reads the text on stdin, its 22.05 kHz WAV
 * is resampled. The child is killed when the stream is destroyed or `signal` aborts.
 */
export function espeakSpeechPcm(text: string, options: EspeakPcmOptions): Readable {
  const traits = voiceTraits(options.voice);
  const female = traits.f0Hz >= 160;
  const variant = `${female ? 'f' : 'm'}${1 + (Math.round(traits.f0Hz) % (female ? 5 : 7))}`;
  const wpm = Math.round(Math.min(450, Math.max(80, 170 * options.speed * traits.tempo)));
  const pitch = Math.round(Math.min(99, Math.max(0, (traits.f0Hz - 80) / 2)));
  const child = spawn(options.espeakPath ?? 'espeak-ng', ['--stdout', '--stdin', '-m', '-b', '1', '-v', `en-us+${variant}`, '-s', String(wpm), '-p', String(pitch)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const extractor = new WavDataExtractor();
  const resampler = new ResampleStream({
    from: { sampleRate: 22_050, channels: 1, encoding: 's16le' },
    to: { sampleRate: 24_000, channels: 1, encoding: 's16le' },
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const onAbort = (): void => {
    resampler.destroy();
  };
  if (options.signal?.aborted) queueMicrotask(onAbort);
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  resampler.once('close', () => {
    options.signal?.removeEventListener('abort', onAbort);
    kill();
  });
  child.once('error', (error) => resampler.destroy(new Error(`espeak-ng failed to start: ${error.message}`)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) resampler.destroy(new Error(`espeak-ng exited with code ${code}`));
  });
  child.stdin.on('error', () => undefined);
  // SSML mode (-m) so paragraph breaks become real pauses, as a TTS service makes them.
  const ssml = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join(' <break time="900ms"/> ');
  child.stdin.end(`<speak>${ssml}</speak>`);
  child.stdout.pipe(extractor).pipe(resampler);
  extractor.once('error', (error) => resampler.destroy(error));
  return resampler;
}
