// The emulator's realtime side at scale: N concurrent sessions on loopback, each streaming a microphone in
// real time (40 ms appends of speech-like audio with pauses) with server VAD (Silero) running on every one,
// the emulator answering each detected turn with paced synthesized audio. The emulator runs in its own
// process; this one only sends prebuilt frames and counts events. Reported: the emulator's CPU per session,
// its event-loop delay (is it keeping up?), turns detected and responses completed.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { VoiceSynth } from '../src/emulator/voice-synth.js';
import { table, writeSection } from './report.js';

const SESSIONS = Number(process.env['EMULATOR_RT_SESSIONS'] ?? 200);
const MEASURE_MS = Number(process.env['EMULATOR_RT_MEASURE_MS'] ?? 20_000);
const WARMUP_MS = 6000;
const FRAME_MS = 40;

// One 6 s loop per session: 2.4 s of speech, then silence; each session starts at its own offset.
function micLoop(): string[] {
  const synth = new VoiceSynth('this is a benchmark of many sessions talking at once', { voice: 'echo', sampleRate: 24_000 });
  const loop = new Int16Array(24 * 6000);
  synth.read(loop.subarray(0, Math.min(synth.totalSamples, 24 * 3500)));
  const bytes = Buffer.from(loop.buffer);
  const frames: string[] = [];
  const step = FRAME_MS * 48;
  for (let at = 0; at < bytes.length; at += step) frames.push(JSON.stringify({ type: 'input_audio_buffer.append', audio: bytes.subarray(at, at + step).toString('base64') }));
  return frames;
}

const child = spawn(process.execPath, [...(process.env['EMULATOR_RT_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/rt/prof'] : []), '--import', 'tsx', 'bench/emulator-realtime-child.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const replies = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => (await replies.next()).value as string;
const url = (await nextLine()).replace(/^http/, 'ws');
const ask = async (cmd: string): Promise<Record<string, number>> => {
  child.stdin!.write(`${cmd}\n`);
  return JSON.parse(await nextLine()) as Record<string, number>;
};

const frames = micLoop();
const counts = { open: 0, closed: 0, speechStopped: 0, responsesDone: 0, audioDeltas: 0, errors: 0 };
const sockets: WebSocket[] = [];
const opened: Promise<void>[] = [];
for (let i = 0; i < SESSIONS; i++) {
  const ws = new WebSocket(`${url}/realtime?model=gpt-realtime-mini`, { headers: { authorization: 'Bearer bench' }, perMessageDeflate: false });
  sockets.push(ws);
  ws.on('message', (data) => {
    const s = String(data);
    const type = s.slice(9, s.indexOf('"', 9));
    if (type === 'response.output_audio.delta') counts.audioDeltas++;
    else if (type === 'input_audio_buffer.speech_stopped') counts.speechStopped++;
    else if (type === 'response.done') counts.responsesDone++;
    else if (type === 'error') counts.errors++;
  });
  ws.on('close', () => counts.closed++);
  ws.on('error', () => undefined);
  opened.push(new Promise<void>((resolve) => ws.once('open', () => (counts.open++, resolve()))));
}
await Promise.all(opened);

// Real-time sending: every FRAME_MS each session sends its next frame (one timer for all, catching up when late).
const start = performance.now();
let sent = 0;
const offsets = sockets.map((_, i) => Math.floor((i * frames.length) / SESSIONS));
const timer = setInterval(() => {
  const due = Math.floor((performance.now() - start) / FRAME_MS);
  for (; sent <= due; sent++) for (let i = 0; i < sockets.length; i++) sockets[i]!.send(frames[(offsets[i]! + sent) % frames.length]!);
}, FRAME_MS / 2);

await new Promise((r) => setTimeout(r, WARMUP_MS));
await ask('reset');
const before = { ...counts };
await new Promise((r) => setTimeout(r, MEASURE_MS));
const stats = await ask('stats');
const after = { ...counts };
clearInterval(timer);
for (const ws of sockets) ws.close();
child.stdin!.end();

const seconds = stats['wallMs']! / 1000;
const cpuPct = (stats['cpuMs']! / stats['wallMs']!) * 100;
const rows = [
  ['sessions open (all with server VAD)', `${after.open - after.closed} / ${SESSIONS}`],
  ['emulator CPU, whole process', `${cpuPct.toFixed(1)} % of one core`],
  ['emulator CPU per session', `${(cpuPct / SESSIONS).toFixed(3)} % of one core (${((stats['cpuMs']! / seconds / SESSIONS)).toFixed(2)} ms CPU per s of audio)`],
  ['emulator event-loop delay p50 / p99 / max', `${stats['loopP50Ms']!.toFixed(1)} / ${stats['loopP99Ms']!.toFixed(1)} / ${stats['loopMaxMs']!.toFixed(1)} ms`],
  ['emulator RSS', `${stats['rssMiB']!.toFixed(0)} MiB (${(stats['rssMiB']! / SESSIONS).toFixed(2)} MiB per session)`],
  ['turns detected (speech_stopped) per s', ((after.speechStopped - before.speechStopped) / seconds).toFixed(1)],
  ['responses completed per s', ((after.responsesDone - before.responsesDone) / seconds).toFixed(1)],
  ['output audio deltas per s', ((after.audioDeltas - before.audioDeltas) / seconds).toFixed(0)],
  ['error events', String(after.errors)],
];
writeSection(
  'emulator-realtime',
  'Emulator realtime: concurrent sessions with server VAD',
  `${SESSIONS} sessions on 127.0.0.1, each appending ${FRAME_MS} ms of 24 kHz PCM16 in real time (6 s loop: 3.5 s of synthesized speech, then silence, offsets staggered), server VAD (Silero v5 through the toolkit's VadTracker) on every session, each detected turn answered with synthesized speech paced at 1.5x real time in ~100 ms deltas. Emulator in its own process; measured over ${Math.round(seconds)} s after a ${WARMUP_MS / 1000} s warm-up.\n\n${table(['measure', 'value'], rows)}\n\nTarget: >= 200 sessions in one process with the VAD running, without the emulator becoming the bottleneck of a duplex client: its event-loop delay p99 under the duplex's default 100 ms output cushion (deltas arrive ahead of playback at 1.5x real time). The bench client sends every session's frame from one timer, so the emulator takes 200 appends in one burst each 40 ms: that burst is most of the loop delay.`,
);
process.exit(0);
