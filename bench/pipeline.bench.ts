// The voice-agent hot path per 20 ms frame, ours against the same pipeline built from the peers a user
// would pick today, side by side in one run:
//   node --expose-gc --import tsx bench/pipeline.bench.ts      (or: npm run bench -- pipeline)
//
// Uplink (mic -> API), per frame of 48 kHz stereo s16 (3840 bytes):
//   ours: the duplex's own code: InputEncoder (src/streams/realtime/input-encoder.ts: Resampler s16 48k/2 ->
//         24k/1) -> VadTracker (Silero v5, WebAssembly, fed the 24 kHz wire audio: its own low-latency
//         resampler to 16 kHz) -> AppendEncoder (src/api/realtime/append-encoder.ts): the
//         `input_audio_buffer.append` message as bytes, as RealtimeSession.appendAudioBytes sends it.
//   peer: JS s16 stereo -> mono, speex (SIMD wasm, q7, s16 API) 48k -> 24k, speex 24k -> 16k for the VAD,
//         onnxruntime-node Silero v5 through its public async `session.run` per 512-sample window (the
//         usual way, with the 64-sample context kept by the wrapper), JSON.stringify of the message.
// Downlink (API -> speaker), per `response.output_audio.delta` of 20 ms of 24 kHz mono s16:
// the message as `ws` hands it over (a Buffer of the frame's bytes):
//   ours: the session's and the duplex's own code: AudioDeltaScanner (src/api/realtime/audio-delta-scanner.ts:
//         the fields read from the bytes, no string) -> DeltaDecoder (src/streams/realtime/delta-decoder.ts:
//         base64 decoded from the bytes into a reused buffer -> Resampler s16 24k/1 -> 48k/2 into the decoder's
//         buffer) -> DeltaDecoder.writeTo(PacedOutput) (the pacer copies into its ring).
//   peer: toString + JSON.parse (what the openai SDK does with ws's Buffer) -> base64 decode -> speex 24k -> 48k + JS mono -> stereo -> a Buffer.concat queue
//         (prism-media's habit) that a 20 ms timer slices frames from.
// Per-frame time: wall time of each frame's work, synchronous for ours, until the awaited ORT call
// settles for the peer (that is what a frame costs the event loop). The paced emission (timer tick:
// one frame out of the queue) is measured apart over real time and added for streams per core.
// Heap per frame: bytes allocated (JS heap + ArrayBuffers) over frames run with no GC in between, in a child
// process started with bench/alloc-meter.ts's flags (a 64 MiB young generation, no background sweeping),
// against the size of the message.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { createRequire } from 'node:module';
import os from 'node:os';
import { VadTracker } from '../src/core/vad/vad-tracker.js';
import { createSileroVad } from '../src/core/vad/silero-vad.js';
import { PacedOutput } from '../src/streams/paced-output.js';
import { Resampler } from '../src/core/resampler/resampler.js';
import { loadText, table, writeSection } from './report.js';
import type { SpeexS16Module } from './resampler-s16.js';
import { InputEncoder } from '../src/streams/realtime/input-encoder.js';
import { DeltaDecoder } from '../src/streams/realtime/delta-decoder.js';
import { realtimeWire } from '../src/streams/realtime/realtime-wire.js';
import { AppendEncoder } from '../src/api/realtime/append-encoder.js';
import { AudioDeltaScanner } from '../src/api/realtime/audio-delta-scanner.js';
import { ALLOC_METER_FLAGS, allocationPerCall } from './alloc-meter.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc: node --expose-gc --import tsx bench/pipeline.bench.ts');
  process.exit(2);
}
const FRAMES = Number(process.env.PIPELINE_BENCH_FRAMES ?? 1500); // 30 s of audio per pass
const PASSES = Number(process.env.PIPELINE_BENCH_PASSES ?? 3);
const PACED_SECONDS = Number(process.env.PIPELINE_BENCH_PACED_S ?? 2);
/** Paced emitters run at once while their CPU is measured, so that their work stands out of the process's idle noise. */
const EMITTERS = 100;
const FRAME_MS = 20;

// ---------------------------------------------------------------------------------------------
// Signals: speech-like bursts (tones with a syllable envelope) and pauses, so the VAD does real work.

function talk48kStereo(frames: number): Buffer {
  const n = frames * 960;
  const out = Buffer.alloc(n * 4);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    const t = i / 48000;
    const on = Math.floor(t / 1.5) % 2 === 0 ? 1 : 0;
    const env = on * (0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t)) ** 2;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = env * (0.3 * Math.sin(2 * Math.PI * 180 * t) + 0.2 * Math.sin(2 * Math.PI * 720 * t)) + ((s / 2 ** 32 - 0.5) * 0.01);
    const q = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
    out.writeInt16LE(q, i * 4);
    out.writeInt16LE(q, i * 4 + 2);
  }
  return out;
}

/** The delta messages of `frames` 20 ms chunks of 24 kHz mono s16, as `ws` delivers them (the frame's bytes). */
function deltaMessages(frames: number): Buffer[] {
  const pcm = Buffer.alloc(frames * 960);
  for (let i = 0; i < frames * 480; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 24000)), i * 2);
  const out: Buffer[] = [];
  for (let f = 0; f < frames; f++) {
    out.push(Buffer.from(JSON.stringify({ type: 'response.output_audio.delta', event_id: `event_${f}`, response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 0, delta: pcm.subarray(f * 960, (f + 1) * 960).toString('base64') })));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pipelines. Each returns a per-frame function; `sink` keeps results alive (so nothing is optimised away).

let sink = 0;

/**
 * Ours: the duplex's send path without its socket: InputEncoder (48k stereo s16 -> 24k mono wire bytes), the
 * VAD fed the same wire bytes, and the append message built by AppendEncoder (what appendAudioBytes hands to
 * the socket). The duplex batches 40 ms per append by default; here every 20 ms frame makes one append, the
 * issue's unit. Returns the message bytes (a view of the encoder's buffer).
 */
function oursUplink(): (frame: Buffer) => Buffer {
  const vad = new VadTracker({ format: { sampleRate: 24000, channels: 1, encoding: 's16le' }, engine: () => createSileroVad({ backend: 'wasm' }) }, () => sink++);
  const append = new AppendEncoder();
  let message: Buffer = Buffer.alloc(0);
  const encoder = new InputEncoder({ sampleRate: 48000, channels: 2, encoding: 's16le' }, realtimeWire('pcm'), (wire) => {
    vad.write(wire);
    message = append.encode(wire);
  });
  return (frame) => {
    encoder.write(frame);
    return message;
  };
}

/** Ours, the session's and the duplex's delta handling: AudioDeltaScanner -> DeltaDecoder (24k mono -> 48k stereo) -> the pacer. */
function oursDownlink(): { run: (message: Buffer) => void; paced: PacedOutput } {
  const scanner = new AudioDeltaScanner();
  const decoder = new DeltaDecoder(realtimeWire('pcm'), { sampleRate: 48000, channels: 2, encoding: 's16le' });
  const paced = new PacedOutput({ format: { sampleRate: 48000, channels: 2, encoding: 's16le' }, maxQueuedMs: 120_000 });
  return {
    run: (message) => {
      if (!scanner.scan(message, 'ga')) throw new Error('not a plain delta');
      const pcm = decoder.decodeBytes(scanner.bytes, scanner.deltaStart, scanner.deltaEnd);
      if (pcm.length > 0) decoder.writeTo(paced, pcm);
    },
    paced,
  };
}

interface OrtSession {
  run(feeds: object): Promise<Record<string, { data: unknown }>>;
}
interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => { data: unknown };
  InferenceSession: { create(path: string, options: object): Promise<OrtSession> };
}

function speexMono(m: SpeexS16Module, inRate: number, outRate: number, quality: number): (x: Int16Array) => Int16Array {
  const err = m._malloc(4);
  const st = m._speex_resampler_init(1, inRate, outRate, quality, err);
  const maxIn = inRate;
  const maxOut = Math.ceil((maxIn * outRate) / inRate) + 64;
  const inPtr = m._malloc(maxIn * 2);
  const outPtr = m._malloc(maxOut * 2);
  const inLen = m._malloc(4);
  const outLen = m._malloc(4);
  return (x) => {
    m.HEAP16.set(x, inPtr >> 1);
    m.HEAPU32[inLen >> 2] = x.length;
    m.HEAPU32[outLen >> 2] = maxOut;
    m._speex_resampler_process_int(st, 0, inPtr, inLen, outPtr, outLen);
    const n = m.HEAPU32[outLen >> 2]!;
    return m.HEAP16.slice(outPtr >> 1, (outPtr >> 1) + n);
  };
}

async function peerUplink(m: SpeexS16Module, ort: OrtModule, modelPath: string): Promise<(frame: Buffer) => Promise<string>> {
  const to24 = speexMono(m, 48000, 24000, 7);
  const to16 = speexMono(m, 24000, 16000, 7);
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
  let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const input = new Float32Array(64 + 512);
  const tensor = new ort.Tensor('float32', input, [1, 576]);
  const pending = new Float32Array(4096);
  let pendingLength = 0;
  const mono = new Int16Array(960);
  return async (frame) => {
    const x = new Int16Array(frame.buffer, frame.byteOffset, frame.length >> 1);
    for (let i = 0, j = 0; i < 960; i++, j += 2) mono[i] = (x[j]! + x[j + 1]!) >> 1;
    const y = to24(mono);
    const v = to16(y);
    for (let i = 0; i < v.length; i++) pending[pendingLength++] = v[i]! / 32768;
    while (pendingLength >= 512) {
      input.copyWithin(0, 512, 576);
      input.set(pending.subarray(0, 512), 64);
      pending.copyWithin(0, 512, pendingLength);
      pendingLength -= 512;
      const r = await session.run({ input: tensor, state, sr });
      state = r.stateN as typeof state;
      if ((r.output!.data as Float32Array)[0]! > 0.5) sink++;
    }
    return JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.from(y.buffer, y.byteOffset, y.byteLength).toString('base64') });
  };
}

function peerDownlink(m: SpeexS16Module): { run: (message: Buffer) => void; take: () => Buffer | null } {
  const to48 = speexMono(m, 24000, 48000, 7);
  let queue = Buffer.alloc(0);
  return {
    run: (message) => {
      const event = JSON.parse(message.toString()) as { delta: string };
      const pcm = Buffer.from(event.delta, 'base64');
      const y = to48(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1));
      const stereo = Buffer.allocUnsafe(y.length * 4);
      const s = new Int16Array(stereo.buffer, stereo.byteOffset, y.length * 2);
      for (let i = 0, j = 0; i < y.length; i++, j += 2) s[j] = s[j + 1] = y[i]!;
      queue = Buffer.concat([queue, stereo]);
    },
    take: () => {
      if (queue.length < 3840) return null;
      const frame = queue.subarray(0, 3840);
      queue = queue.subarray(3840);
      return frame;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement.

interface Stats {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Bytes as a table cell: n/a when unmeasured or when memory held before was released meanwhile (negative). */
function bytesCell(b: number): string | number {
  return Number.isFinite(b) && b >= 0 ? Math.round(b) : 'n/a';
}

async function timeFrames(run: (i: number) => unknown, frames: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < frames; i++) {
    const t0 = performance.now();
    const r = run(i);
    if (r instanceof Promise) await r;
    out.push(performance.now() - t0);
  }
  return out;
}

/** CPU per emitted frame of a paced emitter running in real time for `seconds`. */
async function pacedCpuPerFrame(start: (onFrame: () => void) => () => void, seconds: number): Promise<number> {
  let frames = 0;
  let c0 = process.cpuUsage();
  const stop = start(() => frames++);
  // Half a second of warm-up first, so that compiling the code does not count as its running cost.
  await new Promise((r) => setTimeout(r, 500));
  frames = 0;
  c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / Math.max(1, frames);
}

interface HeapFigures {
  upOurs: number;
  downOurs: number;
  upPeer: number;
  downPeer: number;
  /** Calls counted per figure and windows discarded for a GC. */
  calls: number[];
  discarded: number;
}

/** Runs this file again in a child with the allocation meter's flags; returns its figures. */
function heapInChild(): HeapFigures {
  const r = spawnSync(process.execPath, [...ALLOC_METER_FLAGS, '--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, PIPELINE_BENCH_ALLOC: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 180_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as HeapFigures;
  } catch {
    console.error(`pipeline bench: the allocation child failed (${r.status ?? r.signal}): ${line}`);
    return { upOurs: NaN, downOurs: NaN, upPeer: NaN, downPeer: NaN, calls: [], discarded: 0 };
  }
}

/** The child: bytes per frame of each pipeline, fresh pipelines warmed up first. Prints one JSON line. */
/** onnxruntime-node (null when it cannot load), the Silero model's path, and the frames and deltas every pass uses. */
async function peersAndInputs(): Promise<{ ort: OrtModule | null; modelPath: string; frames: Buffer[]; deltas: Buffer[] }> {
  let ort: OrtModule | null = null;
  try {
    ort = (await import('onnxruntime-node' as string)) as OrtModule;
  } catch {
    ort = null;
  }
  const modelPath = createRequire(import.meta.url).resolve('@ricky0123/vad-web/dist/silero_vad_v5.onnx');
  const input = talk48kStereo(FRAMES);
  const frames: Buffer[] = [];
  for (let f = 0; f < FRAMES; f++) frames.push(input.subarray(f * 3840, (f + 1) * 3840));
  return { ort, modelPath, frames, deltas: deltaMessages(FRAMES) };
}

async function measureHeap(): Promise<void> {
  const speexMod = (await import('@echogarden/speex-resampler-wasm/simd' as string)) as { default: () => Promise<SpeexS16Module> };
  const speex = await speexMod.default();
  const { ort, modelPath, frames, deltas } = await peersAndInputs();
  const N = 1000;
  const ou = oursUplink();
  const upOurs = await allocationPerCall((i) => ou(frames[i % FRAMES]!), N);
  const od = oursDownlink();
  od.paced.on('data', () => {});
  od.paced.pause();
  const downOurs = await allocationPerCall((i) => od.run(deltas[i % FRAMES]!), N);
  od.paced.destroy();
  let upPeer = { bytes: NaN, calls: 0, discarded: 0 };
  if (ort) {
    const pu = await peerUplink(speex, ort, modelPath);
    upPeer = await allocationPerCall((i) => pu(frames[i % FRAMES]!), N);
  }
  const pd = peerDownlink(speex);
  const downPeer = await allocationPerCall((i) => (pd.run(deltas[i % FRAMES]!), pd.take()), N);
  const figures: HeapFigures = {
    upOurs: upOurs.bytes, downOurs: downOurs.bytes, upPeer: upPeer.bytes, downPeer: downPeer.bytes,
    calls: [upOurs.calls, downOurs.calls, upPeer.calls, downPeer.calls],
    discarded: upOurs.discarded + downOurs.discarded + upPeer.discarded + downPeer.discarded,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = os.loadavg();
  const speexMod = (await import('@echogarden/speex-resampler-wasm/simd' as string)) as { default: () => Promise<SpeexS16Module> };
  const speex = await speexMod.default();
  // Paced emission in real time, first (before onnxruntime's threads exist): ours = PacedOutput's clock; peer = setInterval(20) slicing the concat queue.
  const emitOursRaw = await pacedCpuPerFrame((onFrame) => {
    const block = Buffer.alloc(3840 * 50 * (PACED_SECONDS + 2));
    const all: PacedOutput[] = [];
    for (let k = 0; k < EMITTERS; k++) {
      const paced = new PacedOutput({ format: { sampleRate: 48000, channels: 2, encoding: 's16le' }, maxQueuedMs: 120_000 });
      paced.on('data', onFrame);
      paced.write(block);
      all.push(paced);
    }
    return () => all.forEach((p) => p.destroy());
  }, PACED_SECONDS);
  const emitPeerRaw = await pacedCpuPerFrame((onFrame) => {
    const messages = deltaMessages(50);
    const timers: NodeJS.Timeout[] = [];
    for (let k = 0; k < EMITTERS; k++) {
      const q = peerDownlink(speex);
      for (let i = 0; i < 50 * (PACED_SECONDS + 2); i++) q.run(messages[i % 50]!);
      timers.push(
        setInterval(() => {
          if (q.take()) onFrame();
        }, FRAME_MS),
      );
    }
    return () => timers.forEach((t) => clearInterval(t));
  }, PACED_SECONDS);

  // What the same number of bare 20 ms timers costs (the event loop's share, not the pacing work): subtracted.
  const idle = await pacedCpuPerFrame((onFrame) => {
    const timers: NodeJS.Timeout[] = [];
    for (let k = 0; k < EMITTERS; k++) timers.push(setInterval(onFrame, FRAME_MS));
    return () => timers.forEach((t) => clearInterval(t));
  }, PACED_SECONDS);
  const emitOurs = Math.max(0, emitOursRaw - idle);
  const emitPeer = Math.max(0, emitPeerRaw - idle);

  // Loaded after the paced measurements: onnxruntime's threads would colour them.
  const { ort, modelPath, frames, deltas } = await peersAndInputs();

  const upOurs: number[] = [];
  const upPeer: number[] = [];
  const downOurs: number[] = [];
  const downPeer: number[] = [];
  let appendLength = 0;
  // Passes interleave ours and the peer so that machine load hits both alike.
  for (let pass = 0; pass < PASSES; pass++) {
    const ou = oursUplink();
    upOurs.push(...(await timeFrames((i) => (appendLength = ou(frames[i]!).length), FRAMES)));
    if (ort) {
      const pu = await peerUplink(speex, ort, modelPath);
      upPeer.push(...(await timeFrames((i) => pu(frames[i]!), FRAMES)));
    }
    const od = oursDownlink();
    od.paced.on('data', () => {});
    od.paced.pause();
    downOurs.push(...(await timeFrames((i) => od.run(deltas[i]!), FRAMES)));
    od.paced.destroy();
    const pd = peerDownlink(speex);
    downPeer.push(...(await timeFrames((i) => (pd.run(deltas[i]!), pd.take()), FRAMES)));
  }

  // Heap per frame, steady state, in a child process that can measure it (see bench/alloc-meter.ts).
  const heap = heapInChild();
  const { upOurs: heapUpOurs, downOurs: heapDownOurs, upPeer: heapUpPeer, downPeer: heapDownPeer } = heap;

  const sOurs = { up: stats(upOurs), down: stats(downOurs) };
  const sPeer = { up: upPeer.length ? stats(upPeer) : null, down: stats(downPeer) };
  const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const perCore = (up: number, down: number, emit: number) => Math.floor(FRAME_MS / (up + down + emit));
  const rows: (string | number)[][] = [
    ['uplink', 'ours', f3(sOurs.up.p50), f3(sOurs.up.p99), f3(sOurs.up.max), f3(sOurs.up.mean), bytesCell(heapUpOurs)],
    ['uplink', 'peers', ...(sPeer.up ? [f3(sPeer.up.p50), f3(sPeer.up.p99), f3(sPeer.up.max), f3(sPeer.up.mean)] : ['n/a', 'n/a', 'n/a', 'n/a']), bytesCell(heapUpPeer)],
    ['downlink', 'ours', f3(sOurs.down.p50), f3(sOurs.down.p99), f3(sOurs.down.max), f3(sOurs.down.mean), bytesCell(heapDownOurs)],
    ['downlink', 'peers', f3(sPeer.down.p50), f3(sPeer.down.p99), f3(sPeer.down.max), f3(sPeer.down.mean), bytesCell(heapDownPeer)],
  ];
  const oursPerCore = perCore(sOurs.up.mean, sOurs.down.mean, emitOurs);
  const peerPerCore = sPeer.up ? perCore(sPeer.up.mean, sPeer.down.mean, emitPeer) : NaN;
  const message = appendLength;
  const targets: (string | number)[][] = [
    ['uplink p99 per frame', '<= 0.5 ms', `${f3(sOurs.up.p99)} ms`, sOurs.up.p99 <= 0.5 ? 'yes' : 'no'],
    ['downlink p99 per frame', '<= 0.5 ms', `${f3(sOurs.down.p99)} ms`, sOurs.down.p99 <= 0.5 ? 'yes' : 'no'],
    ['uplink heap per frame', `<= the message (${message} B)`, `${Math.round(heapUpOurs)} B`, heapUpOurs <= message ? 'yes' : 'no'],
    ['downlink heap per frame', `<= the message (${deltas[0]!.length} B)`, `${Math.round(heapDownOurs)} B`, heapDownOurs <= deltas[0]!.length ? 'yes' : 'no'],
    ['streams per core (both ways + paced emission)', 'more than the peers', `${oursPerCore} vs ${Number.isNaN(peerPerCore) ? 'n/a' : peerPerCore}`, Number.isNaN(peerPerCore) ? '?' : oursPerCore > peerPerCore ? 'yes' : 'no'],
  ];
  const body = [
    `${FRAMES} frames of 20 ms per pass, ${PASSES} passes, ours and the peers interleaved pass by pass; ms per frame (wall time of the frame's work in this process).`,
    'Uplink: 48 kHz stereo s16 -> 24 kHz mono -> VAD (Silero v5) -> `input_audio_buffer.append` JSON. Downlink: `response.output_audio.delta` JSON ' +
      '(the frame bytes `ws` delivers) -> base64 decode -> 24 kHz mono -> 48 kHz stereo -> paced output queue.',
    "Ours: the duplex's and the session's own modules, without the socket: InputEncoder (Resampler on Int16Array, s16 in the kernel) + VadTracker " +
      '(Silero v5 WebAssembly, its own low-latency 24k -> 16k resampler) + AppendEncoder (the append message as bytes, base64 written in place, ' +
      'what appendAudioBytes sends as a text frame); on the way back AudioDeltaScanner (the delta read from the message bytes) + DeltaDecoder ' +
      '(base64 and resampling into reused buffers) + PacedOutput (copies into its ring). One append per 20 ms frame (the duplex batches 40 ms by default).',
    'Peers: speexdsp (SIMD wasm, q7, s16 API) for both rate changes (48k -> 24k; 24k -> 16k for the VAD; 24k -> 48k) with JS channel mixing, ' +
      "onnxruntime-node Silero v5 through the public async session.run per 512-sample window, JSON.stringify / toString + JSON.parse, and prism-media's " +
      'Buffer.concat queue sliced by a 20 ms setInterval for playback.',
    '',
    table(['direction', 'pipeline', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'heap + ArrayBuffer B / frame'], rows),
    '',
    `Bytes per frame: allocated (JS heap + ArrayBuffers) over ${heap.calls.join(' / ')} frames with no GC in between, in a child process with a 64 MiB young generation and no background sweeping (bench/alloc-meter.ts; ${heap.discarded} windows with a GC discarded). The message itself is not counted: the uplink's is built in a reused buffer (the socket then copies it into the masked frame it sends), the downlink's is what arrived.`,
    '',
    `Paced emission, CPU per emitted frame (${EMITTERS} emitters at once for ${PACED_SECONDS} s of real time), less a bare 20 ms timer's (${f3(idle)} ms): ours (PacedOutput) ${f3(emitOurs)} ms, peers (setInterval + concat queue) ${f3(emitPeer)} ms.`,
    `Streams one core carries (20 ms / (uplink mean + downlink mean + emission)): ours ${oursPerCore}, peers ${Number.isNaN(peerPerCore) ? 'n/a' : peerPerCore}.`,
    '',
    table(['target (issue 13)', 'goal', 'measured', 'met?'], targets),
    '',
    `Load average (1 / 5 / 15 min) at start ${loadText(loadStart)}, at end ${loadText()}; wall time ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ].join('\n');
  writeSection('pipeline', 'Voice-agent pipeline per frame (issue 13)', body);
  process.exit(0);
}

if (process.env.PIPELINE_BENCH_ALLOC === '1') await measureHeap();
else await main();
