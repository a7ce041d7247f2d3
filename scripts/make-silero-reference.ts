// Generates the Silero VAD reference fixtures in test/fixtures/vad/ once, with onnxruntime-node (a devDependency):
// a varied test signal at 16 kHz and 8 kHz (espeak-ng speech when installed, a seeded speech-like synthesizer,
// noise, hum, silence, DC, clipping) stored as raw s16le, and the probabilities the reference ONNX models give for it
// when streamed window by window the way Silero's own OnnxWrapper does (64/32-sample context and LSTM state carried).
//
//   npx tsx scripts/make-silero-reference.ts
//
// The tests compare our engine against these numbers without onnxruntime.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom as prng } from './seeded-random.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'test', 'fixtures', 'vad');
/** The stored clip is played this many times back to back (state carried), for a long stream at no extra bytes. */
const LOOPS = 4;


function espeak(text: string, sampleRate: number, voice: string): Float32Array | undefined {
  try {
    const wav = execFileSync('espeak-ng', ['-v', voice, '--stdout', text], { stdio: ['ignore', 'pipe', 'ignore'] });
    const raw = execFileSync('sox', ['-D', '-t', 'wav', '-', '-t', 'raw', '-r', String(sampleRate), '-e', 'signed', '-b', '16', '-c', '1', '-'], {
      input: wav,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const out = new Float32Array(raw.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2) / 32768;
    return out;
  } catch {
    return undefined;
  }
}

/** A crude voiced-speech imitation: glottal pulses through three formant resonators, syllable-rate envelope. */
function speechLike(seconds: number, sampleRate: number, rand: () => number): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  const formants = [
    [700, 130],
    [1220, 70],
    [2600, 160],
  ] as const;
  const state = formants.map(() => [0, 0]);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const f0 = 120 + 40 * Math.sin(2 * Math.PI * 0.7 * t) + 10 * (rand() - 0.5);
    phase += f0 / sampleRate;
    let x = 0;
    if (phase >= 1) {
      phase -= 1;
      x = 1;
    }
    x += 0.02 * (rand() - 0.5);
    let y = 0;
    formants.forEach(([f, bw], k) => {
      const fk = Math.min(f * (1 + 0.15 * Math.sin(2 * Math.PI * 1.3 * t + k)), sampleRate * 0.45);
      const r = Math.exp((-Math.PI * bw) / sampleRate);
      const a1 = 2 * r * Math.cos((2 * Math.PI * fk) / sampleRate);
      const a2 = -r * r;
      const s = state[k]!;
      const v = x + a1 * s[0]! + a2 * s[1]!;
      s[1] = s[0]!;
      s[0] = v;
      y += v / (k + 1);
    });
    const env = Math.max(0, Math.sin(2 * Math.PI * 4 * t)) ** 0.7;
    out[i] = 0.05 * y * env;
  }
  return out;
}

function noise(seconds: number, sampleRate: number, rms: number, rand: () => number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = rms * Math.sqrt(3) * (2 * rand() - 1);
  return out;
}

function makeSignal(sampleRate: number): Float32Array {
  const rand = prng(0x5eed + sampleRate);
  const parts: Float32Array[] = [];
  const silence = (s: number) => new Float32Array(Math.round(s * sampleRate));
  const speechOr = (text: string, voice: string, fallbackSeconds: number) =>
    espeak(text, sampleRate, voice) ?? speechLike(fallbackSeconds, sampleRate, rand);
  parts.push(silence(0.5));
  parts.push(noise(0.8, sampleRate, 0.003, rand));
  parts.push(speechOr('The quick brown fox jumps over the lazy dog.', 'en-us', 2));
  parts.push(silence(0.4));
  parts.push(speechLike(1.5, sampleRate, rand));
  const noisy = speechOr('Please call me back before noon tomorrow.', 'en', 2);
  for (let i = 0; i < noisy.length; i++) noisy[i]! += 0.03 * Math.sqrt(3) * (2 * rand() - 1);
  parts.push(noisy);
  parts.push(noise(0.8, sampleRate, 0.1, rand));
  const hum = new Float32Array(Math.round(0.8 * sampleRate));
  for (let i = 0; i < hum.length; i++) {
    const t = i / sampleRate;
    hum[i] = 0.2 * Math.sin(2 * Math.PI * 50 * t) + 0.08 * Math.sin(2 * Math.PI * 150 * t) + 0.04 * Math.sin(2 * Math.PI * 250 * t);
  }
  parts.push(hum);
  const quiet = speechOr('Numbers: three, seven, twelve.', 'en+f3', 1.5);
  for (let i = 0; i < quiet.length; i++) quiet[i] = 0.1 * quiet[i]! + 0.05; // quiet talker on a DC offset
  parts.push(quiet);
  const clipped = speechLike(0.8, sampleRate, rand);
  for (let i = 0; i < clipped.length; i++) clipped[i] = Math.max(-0.3, Math.min(0.3, 20 * clipped[i]!)) / 0.3;
  parts.push(clipped);
  parts.push(silence(0.3));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Quantizes to s16 and back, so the committed audio is exactly what the reference saw. */
function toS16(x: Float32Array): { bytes: Buffer; samples: Float32Array } {
  const bytes = Buffer.alloc(x.length * 2);
  const samples = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 32768)));
    bytes.writeInt16LE(v, i * 2);
    samples[i] = v / 32768;
  }
  return { bytes, samples };
}

async function referenceProbabilities(version: string, sampleRate: number, audio: Float32Array): Promise<number[]> {
  const ort = await import('onnxruntime-node');
  const modelPath = path.join(root, 'node_modules', '@ricky0123', 'vad-web', 'dist', `silero_vad_${version}.onnx`);
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const windowSamples = sampleRate === 16000 ? 512 : 256;
  const contextSamples = sampleRate === 16000 ? 64 : 32;
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []);
  let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const context = new Float32Array(contextSamples);
  const probabilities: number[] = [];
  for (let at = 0; at + windowSamples <= audio.length; at += windowSamples) {
    const input = new Float32Array(contextSamples + windowSamples);
    input.set(context, 0);
    input.set(audio.subarray(at, at + windowSamples), contextSamples);
    context.set(audio.subarray(at + windowSamples - contextSamples, at + windowSamples));
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, input.length]), state, sr });
    state = out.stateN as typeof state;
    probabilities.push((out.output!.data as Float32Array)[0]!);
  }
  await session.release();
  return probabilities;
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const index: Record<string, unknown> = {
    about: 'Silero VAD reference probabilities from onnxruntime-node, state and context carried; see scripts/make-silero-reference.ts',
  };
  for (const sampleRate of [16000, 8000]) {
    const { bytes, samples } = toS16(makeSignal(sampleRate));
    const file = `silero-ref-${sampleRate / 1000}k.s16`;
    writeFileSync(path.join(outDir, file), bytes);
    const entry: Record<string, unknown> = { audio: file, sampleRate, samples: samples.length, loops: LOOPS };
    const stream = new Float32Array(samples.length * LOOPS);
    for (let i = 0; i < LOOPS; i++) stream.set(samples, i * samples.length);
    for (const version of ['v5', 'v6']) {
      const p = await referenceProbabilities(version, sampleRate, stream);
      entry[version] = p.map((v) => Number(v.toPrecision(7)));
      const speech = p.filter((v) => v > 0.5).length;
      console.log(`${sampleRate} Hz ${version}: ${p.length} windows, ${speech} above 0.5`);
    }
    index[String(sampleRate)] = entry;
  }
  writeFileSync(path.join(outDir, 'silero-reference.json'), `${JSON.stringify(index)}\n`);
}

await main();
