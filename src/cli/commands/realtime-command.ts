import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { TokenLab } from '../../client.js';
import type { RealtimeSession } from '../../api/realtime/realtime-session.js';
import { WavWriter } from '../../codecs/wav/wav-writer.js';
import { InputError } from '../../core/errors.js';
import { REALTIME_PCM } from '../../core/pcm/pcm-format.js';
import { decode } from '../../streams/decode.js';
import { mic } from '../../streams/devices/mic.js';
import { realtimeDuplex, type RealtimeDuplex, type RealtimeTurnMetrics } from '../../streams/realtime-duplex.js';
import { speaker } from '../../streams/devices/speaker.js';
import { formatMs, type CliIo } from '../cli-io.js';
import type { CommandHelp } from '../command-help.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { makeClient } from '../make-client.js';
import { choiceOption, parseCommandArgs } from '../parse-command-args.js';

export const realtimeHelp: CommandHelp = {
  name: 'realtime',
  summary: 'a spoken conversation with a realtime model: microphone to speaker, transcripts and per-turn latency on screen',
  usage: 'realtime [--model M] [--input FILE] [--output FILE.wav] [options]',
  description: [
    'Without --input it listens to the microphone; without --output it plays replies on the speaker (both need ffmpeg and a sound device).',
    '--input plays a file as the microphone (in real time, then 2 s of silence) and the command ends once the last reply is done; --output records the replies as WAV.',
    'Ctrl-C closes the session cleanly. The model comes from the catalog (a realtime-capable one) unless --model is given.',
  ],
  options: [
    ['--model M', 'realtime model (default: the catalog\'s first active realtime model)'],
    ['--input FILE', 'audio file used as the microphone (default: the microphone)'],
    ['--output FILE', 'record the replies into this WAV file (default: play them on the speaker)'],
    ['--voice V', 'voice of the replies (default: the model\'s)'],
    ['--instructions TEXT', 'system instructions for the session'],
    ['--turn MODE', 'server_vad, semantic_vad or local (default: server_vad)'],
  ],
  examples: ['tokenlab-audio realtime', 'tokenlab-audio realtime --input question.wav --output answer.wav', 'tokenlab-audio realtime --json --input question.wav --output answer.wav'],
};

/** The catalog's first realtime-capable model (active ones first). @throws InputError when there is none. */
export async function pickRealtimeModel(client: TokenLab, signal: AbortSignal): Promise<string> {
  const list = await client.models.list({ view: 'compact' }, { signal });
  const realtime = list.data.filter((m) => (m as { supported_operations?: string[] }).supported_operations?.includes('realtime'));
  const best = realtime.find((m) => (m as { status?: string }).status === 'active') ?? realtime[0];
  if (!best) throw new InputError('The model catalog lists no realtime model; pass one with --model.', 'TLA_ERR_INPUT_MODEL');
  return best.id;
}

/**
 * Writes PCM into `target` in real time (chunks of `chunkMs` on an absolute schedule), as a microphone would.
 * Resolves when all is written (or the signal aborts).
 */
export async function feedInRealTime(target: Writable, pcm: Buffer, signal: AbortSignal, chunkMs = 40, bytesPerMs = 48): Promise<void> {
  const step = chunkMs * bytesPerMs;
  const start = performance.now();
  for (let at = 0, n = 0; at < pcm.length && !signal.aborted && !target.destroyed; at += step, n++) {
    if (!target.write(pcm.subarray(at, at + step))) await new Promise<void>((r) => target.once('drain', r));
    const dueMs = start + (n + 1) * chunkMs - performance.now();
    if (dueMs > 0) await new Promise<void>((r) => setTimeout(r, dueMs));
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** One line per finished turn: endpointing, server and client latency, and whether it was interrupted. */
export function describeTurn(m: RealtimeTurnMetrics): string {
  const part = (name: string, ms: number | undefined): string => (ms === undefined ? '' : ` ${name} ${formatMs(ms)}`);
  return `turn ${m.responseId}:${part('endpointing', m.endpointingMs)}${part('server', m.serverMs)}${part('client', m.clientMs)}${m.interrupted ? ` interrupted${part('to silence', m.interruptToSilenceMs)}` : ''}`;
}

/**
 * `realtime`: a spoken conversation. Microphone (or `--input`) → realtimeDuplex → speaker (or `--output`),
 * transcripts and per-turn latency on stderr, or every event as one JSON line on stdout with `--json`.
 */
export async function realtimeCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs(
    'realtime',
    args,
    { model: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, voice: { type: 'string' }, instructions: { type: 'string' }, turn: { type: 'string' } },
    0,
  );
  const turn = choiceOption('realtime', 'turn', values['turn'], ['server_vad', 'semantic_vad', 'local'] as const);
  const inputPath = typeof values['input'] === 'string' ? path.resolve(io.cwd, values['input']) : undefined;
  const outputPath = typeof values['output'] === 'string' ? path.resolve(io.cwd, values['output']) : undefined;
  const client = makeClient(io, common);
  const json = (event: Record<string, unknown>): void => {
    if (common.json) io.stdout.write(`${JSON.stringify(event)}\n`);
  };
  const say = (line: string): void => {
    if (!common.json && !common.quiet) io.stderr.write(`${line}\n`);
  };
  const local = new AbortController();
  const onAbort = (): void => local.abort(io.signal.reason);
  io.signal.addEventListener('abort', onAbort, { once: true });
  let duplex: RealtimeDuplex | undefined;
  try {
    const model = typeof values['model'] === 'string' ? values['model'] : await pickRealtimeModel(client, io.signal);
    // Decode the file before connecting, so a bad file fails without opening (and paying for) a session.
    const inputPcm = inputPath ? await readAll(decode(inputPath, { to: REALTIME_PCM, signal: io.signal })) : undefined;
    duplex = realtimeDuplex(client, {
      model,
      signal: local.signal,
      ...(turn ? { turnDetection: turn } : {}),
      ...(typeof values['voice'] === 'string' ? { voice: values['voice'] } : {}),
      ...(typeof values['instructions'] === 'string' ? { instructions: values['instructions'] } : {}),
    });
    const d = duplex;
    let session: RealtimeSession | undefined;
    let responsesOpen = 0;
    let responsesDone = 0;
    // When the replies received so far finish playing (output plays in real time from the first delta).
    let playEndsAt = 0;
    let resolveClosed: (info: { code: number; reason: string }) => void = () => undefined;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
    d.on('session', (s: RealtimeSession) => {
      session = s;
      s.on('close', (info) => resolveClosed(info));
      say(`realtime session on ${model}${inputPath ? `, input ${path.basename(inputPath)}` : ', microphone'}${outputPath ? `, replies to ${path.basename(outputPath)}` : ', speaker'} (Ctrl-C to end)`);
      json({ type: 'session', model });
      s.on('response.created', () => responsesOpen++);
      s.on('response.done', () => {
        responsesOpen = Math.max(0, responsesOpen - 1);
        responsesDone++;
      });
      s.on('response.output_audio.delta', (e) => {
        const wireBytesPerMs = 48; // the duplex's default wire format: PCM16 24 kHz
        playEndsAt = Math.max(playEndsAt, performance.now() + 100) + Math.floor((e.delta.length * 3) / 4) / wireBytesPerMs;
      });
      if (common.json) s.on('event', (e) => json(e.type.endsWith('.delta') && 'delta' in e && e.type.includes('audio') && !e.type.includes('transcript') ? { type: e.type, item_id: (e as { item_id?: string }).item_id, bytes: Math.floor(((e as { delta: string }).delta.length * 3) / 4) } : (e as unknown as Record<string, unknown>)));
    });
    d.on('transcript', (t: { role: string; text: string; final: boolean }) => {
      if (t.final && t.text.trim() !== '') say(`${t.role === 'user' ? 'you' : 'agent'}: ${t.text.trim()}`);
    });
    d.on('interrupted', (info: { playedMs: number; receivedMs: number; action: string; itemId?: string }) => {
      say(`  (barge-in: ${info.action === 'truncate' ? `truncated the reply at ${info.playedMs} ms of ${Math.round(info.receivedMs)} ms received` : info.action === 'delete' ? 'deleted the reply, nothing of it was played' : 'cancelled the response'})`);
      json({ type: 'tokenlab.interrupted', ...info });
    });
    d.on('turn-metrics', (m: RealtimeTurnMetrics) => {
      say(`  ${describeTurn(m)}`);
      json({ type: 'tokenlab.turn_metrics', ...m });
    });
    d.on('error', () => undefined);

    const sink: Writable = outputPath ? new WavWriter({ format: REALTIME_PCM }) : speaker({ format: REALTIME_PCM, signal: local.signal });
    const file = outputPath ? createWriteStream(outputPath) : undefined;
    if (file) sink.pipe(file);
    d.pipe(sink);
    if (inputPcm) {
      await feedInRealTime(d, Buffer.concat([inputPcm, Buffer.alloc(2000 * 48)]), local.signal);
      // The last reply: wait (at most 60 s) until a response came, none is open and its audio has played.
      const giveUpAt = performance.now() + 60_000;
      while (!local.signal.aborted && !d.destroyed && performance.now() < giveUpAt && (responsesDone === 0 || responsesOpen > 0 || performance.now() < playEndsAt + 300)) {
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      const source = mic({ format: REALTIME_PCM, signal: local.signal });
      source.pipe(d, { end: false });
      await new Promise<void>((resolve) => {
        if (local.signal.aborted) resolve();
        else local.signal.addEventListener('abort', () => resolve(), { once: true });
        source.once('error', () => resolve());
      });
    }
    const interrupted = io.signal.aborted;
    if (session && !session.closed) await session.close(1000, interrupted ? 'interrupted' : 'done');
    const info = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]);
    d.unpipe(sink);
    sink.end();
    if (file) await new Promise<void>((resolve) => file.once('close', () => resolve()));
    say(`${interrupted ? 'Interrupted: ' : ''}realtime session closed cleanly${info ? ` (code ${info.code})` : ''}${outputPath ? `; replies saved to ${outputPath}` : ''}.`);
    json({ type: 'tokenlab.closed', interrupted, code: info?.code ?? null });
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    duplex?.destroy();
    await client.close();
  }
}
