import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { TokenLab } from '../../client.js';
import type { TranscriptionVerbose } from '../../api/transcriptions.js';
import { encodeWav } from '../../codecs/wav/wav-writer.js';
import { startEmulator } from '../../emulator/start-emulator.js';
import { demoRealtimeResponder, demoRealtimeTurn } from './demo-realtime-turn.js';
import { describeTurn } from './realtime-command.js';
import type { EmulatorHandle } from '../../emulator/emulator-options.js';
import { decode } from '../../streams/decode.js';
import { ResampleStream } from '../../streams/resample-stream.js';
import { VadChunker, type VadUtterance } from '../../streams/vad-chunker.js';
import { formatBytes, formatMs, printJson, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import type { CommandHelp } from '../command-help.js';

const DEMO_TEXT =
  'Hello from tokenlab audio. This speech was synthesized, decoded and resampled on this machine.\n\n' +
  'Voice activity detection split it at the pause, and the transcription reports where the speech is.';

const STT_FORMAT: PcmFormat = { sampleRate: 16_000, channels: 1, encoding: 's16le' };

/** One timed step of the demo. */
interface Stage {
  name: string;
  ms: number;
  detail: string;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `tokenlab-audio demo --help`. */
export const demoHelp: CommandHelp = {
  name: 'demo',
  summary: 'speak -> decode -> resample -> VAD split -> transcribe -> a realtime conversation with one barge-in, each stage timed',
  usage: 'demo [options]',
  description: ['Offline by default: an API emulator in this process on 127.0.0.1, no key needed.'],
  options: [
    ['--live', 'use the real API with your key (billed as usual) (default: offline)'],
    ['--keep DIR', 'keep the audio and transcripts of each stage in DIR (default: nothing kept)'],
    ['--voice V', 'voice of the spoken sample (default: alloy)'],
  ],
  examples: ['tokenlab-audio demo', 'tokenlab-audio demo --live --keep demo-out/'],
};

/**
 * `demo`: speak → decode → resample → VAD split → transcribe, each stage timed. Offline by default
 * (an emulator in this process on 127.0.0.1); `--live` uses the real API with your key.
 */
export async function demoCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs('demo', args, { live: { type: 'boolean' }, keep: { type: 'string' }, voice: { type: 'string' } }, 0);
  const live = values['live'] === true;
  const keepDir = typeof values['keep'] === 'string' ? path.resolve(io.cwd, values['keep']) : undefined;
  const stages: Stage[] = [];
  const say = (line: string): void => {
    if (!common.json && !common.quiet) io.stdout.write(`${line}\n`);
  };
  const timed = async <T>(name: string, run: () => Promise<T>, detail: (value: T) => string): Promise<T> => {
    const t0 = performance.now();
    const value = await run();
    const stage = { name, ms: performance.now() - t0, detail: detail(value) };
    stages.push(stage);
    say(`  ${name.padEnd(11)} ${formatMs(stage.ms).padStart(9)}  ${stage.detail}`);
    return value;
  };

  let emulator: EmulatorHandle | undefined;
  let client: TokenLab | undefined;
  try {
    if (live) {
      const apiKey = common.apiKey ?? io.env['TOKENLAB_API_KEY'];
      if (!apiKey) throw new InputError('demo --live needs an API key: export TOKENLAB_API_KEY=sk-… (or --api-key). Without --live the demo runs offline.');
      client = new TokenLab({ apiKey, baseURL: common.baseURL ?? io.env['TOKENLAB_BASE_URL'] });
      say(`tokenlab-audio demo against ${client.baseURL}`);
    } else {
      say('tokenlab-audio demo (offline: an API emulator in this process on 127.0.0.1)');
      emulator = await timed('emulator', () => startEmulator({ port: 0, host: '127.0.0.1', realtime: { responder: demoRealtimeResponder } }), (e) => `listening on ${e.url}`);
      client = new TokenLab({ apiKey: 'demo-key', baseURL: emulator.url });
    }
    const c = client;
    const models = await timed(
      'models',
      async () => {
        const [tts, stt] = await Promise.all([
          c.models.list({ view: 'compact', recommendedFor: 'tts' }, { signal: io.signal }),
          c.models.list({ view: 'compact', recommendedFor: 'stt' }, { signal: io.signal }),
        ]);
        const ttsModel = tts.data[0]?.id ?? 'gpt-4o-mini-tts';
        // whisper-1 gives segment timestamps (verbose_json); fall back to the top recommendation.
        const sttModel = stt.data.some((m) => m.id === 'whisper-1') ? 'whisper-1' : (stt.data[0]?.id ?? 'whisper-1');
        return { ttsModel, sttModel, count: tts.data.length + stt.data.length };
      },
      (m) => `tts ${m.ttsModel}, stt ${m.sttModel}`,
    );

    const voice = typeof values['voice'] === 'string' ? values['voice'] : 'alloy';
    let firstByteMs = 0;
    const wav = await timed(
      'speak',
      async () => {
        const t0 = performance.now();
        const audio = await c.audio.speech.create({ model: models.ttsModel, voice, input: DEMO_TEXT, response_format: 'wav' }, { signal: io.signal });
        firstByteMs = performance.now() - t0;
        return { bytes: await audio.buffer(), requestId: audio.requestId };
      },
      (r) => `${formatBytes(r.bytes.length)} WAV, first byte after ${formatMs(firstByteMs)} (request ${r.requestId ?? '-'})`,
    );

    const decoded = await timed(
      'decode',
      async () => {
        const stream = decode(wav.bytes, { signal: io.signal });
        const [pcm, format] = await Promise.all([collect(stream), stream.formatReady]);
        return { pcm, format, path: stream.path };
      },
      (d) => `${(d.pcm.length / 2 / d.format.sampleRate / d.format.channels).toFixed(2)} s of ${d.format.sampleRate} Hz PCM (${d.path})`,
    );

    const resampled = await timed(
      'resample',
      async () => collect(Readable.from([decoded.pcm]).pipe(new ResampleStream({ from: decoded.format, to: STT_FORMAT }))),
      (pcm) => `${decoded.format.sampleRate} Hz -> ${STT_FORMAT.sampleRate} Hz, ${formatBytes(pcm.length)}`,
    );

    const utterances = await timed(
      'vad split',
      async () => {
        const list: VadUtterance[] = [];
        const chunker = new VadChunker({ format: STT_FORMAT, signal: io.signal });
        chunker.on('data', (u: VadUtterance) => list.push(u));
        await pipeline(Readable.from([resampled]), chunker);
        return list;
      },
      (list) => `${list.length} utterance${list.length === 1 ? '' : 's'}: ${list.map((u) => `${(u.speechStartMs / 1000).toFixed(2)}–${(u.speechEndMs / 1000).toFixed(2)} s`).join(', ')}`,
    );

    const transcript = await timed(
      'transcribe',
      async () =>
        (await c.audio.transcriptions.create({
          file: encodeWav(resampled, STT_FORMAT),
          filename: 'demo.wav',
          model: models.sttModel,
          responseFormat: models.sttModel === 'whisper-1' ? 'verbose_json' : 'json',
          signal: io.signal,
        })) as TranscriptionVerbose,
      (t) => `${t.segments?.length ?? 0} segment${t.segments?.length === 1 ? '' : 's'}`,
    );

    const realtime = await timed(
      'realtime',
      () => demoRealtimeTurn(c, io.signal),
      (r) =>
        `${r.model}: ${r.turns.length} turn${r.turns.length === 1 ? '' : 's'}, barge-in ${
          r.interruption ? (r.interruption.action === 'truncate' ? `sent conversation.item.truncate audio_end_ms=${r.interruption.playedMs} (${Math.round(r.interruption.receivedMs)} ms received)` : `sent ${r.interruption.action}`) : 'not detected'
        }`,
    );
    for (const turn of realtime.turns) say(`              ${describeTurn(turn)}`);

    if (keepDir) {
      await mkdir(keepDir, { recursive: true });
      await writeFileAtomic(path.join(keepDir, 'speech.wav'), wav.bytes);
      for (const u of utterances) await writeFileAtomic(path.join(keepDir, `utterance-${u.index + 1}.wav`), encodeWav(u.pcm, u.format));
      await writeFileAtomic(path.join(keepDir, 'transcript.json'), `${JSON.stringify(transcript, null, 2)}\n`);
    }

    const totalMs = stages.reduce((sum, s) => sum + s.ms, 0);
    if (common.json) {
      printJson(io, {
        mode: live ? 'live' : 'offline',
        stages: stages.map((s) => ({ ...s, ms: Math.round(s.ms * 10) / 10 })),
        totalMs: Math.round(totalMs),
        utterances: utterances.map((u) => ({ startMs: u.speechStartMs, endMs: u.speechEndMs })),
        transcript: { text: transcript.text, segments: transcript.segments?.map((s) => ({ start: s.start, end: s.end, text: s.text })) ?? [] },
        realtime: { model: realtime.model, interruption: realtime.interruption ?? null, turns: realtime.turns, transcripts: realtime.transcripts },
        keptIn: keepDir ?? null,
      });
    } else {
      say(`\ntranscript: ${transcript.text}`);
      if (!live) say('(the emulator describes the speech it detected and when; point --base-url at the real API, or use --live, for words)');
      say(`total ${formatMs(totalMs)}${keepDir ? `; files in ${keepDir}` : ''}`);
    }
    return EXIT.ok;
  } finally {
    await client?.close();
    await emulator?.close();
  }
}
