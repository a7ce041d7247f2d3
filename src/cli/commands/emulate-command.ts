import { startEmulator } from '../../emulator/start-emulator.js';
import { parseFaultSpec } from '../../emulator/fault-book.js';
import type { EmulatorFault } from '../../emulator/emulator-options.js';
import { parseRealtimeFaultSpec, type RealtimeFault } from '../../emulator/realtime/realtime-fault.js';
import { printJson, type CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { choiceOption, numberOption, parseCommandArgs } from '../parse-command-args.js';
import { UsageError } from '../usage-error.js';
import type { CommandHelp } from '../command-help.js';

/** `tokenlab-audio emulate --help`. */
export const emulateHelp: CommandHelp = {
  name: 'emulate',
  summary: 'run the offline API emulator on 127.0.0.1 (for tests and trying things without a key)',
  usage: 'emulate [options]',
  description: [
    'Serves models, speech, transcriptions, translations and realtime sessions (WebSocket on /v1/realtime, GA or beta with OpenAI-Beta: realtime=v1) until Ctrl-C. Faults per request: header "x-emulator-fault" or query "emulator_fault" with comma-separated items: 429[;retry-after=S], 500, 503 (any 4xx/5xx), latency=MS, reset, stall, malformed-sse.',
    'Realtime faults (per session, same header or query on the upgrade, or --fault for all sessions): close-1011[=N deltas], malformed-frame, error-event, slow-first-delta=MS, silent, drop, expire=MS.',
  ],
  options: [
    ['-p, --port N', 'port; 0 picks a free one (default 8787)'],
    ['--host H', 'address to listen on (default 127.0.0.1)'],
    ['--accept-key KEY', 'accept only this key; repeat for several (default: any key)'],
    ['--fault SPEC', 'a fault on every request, e.g. 429;retry-after=2 or latency=500; repeatable (default: none)'],
    ['--upload-limit-bytes N', 'answer 413 above this upload size (default 26214400)'],
    ['--speech-pace-ms N', 'delay between speech chunks, 0 to 10000 (default 0)'],
    ['--voice ENGINE', 'auto, espeak or builtin speech synthesis (default: auto, espeak when installed)'],
    ['--speech-detector D', 'vad, energy or none: where transcripts find speech (default: vad)'],
    ['--recognizer "CMD ARGS"', 'a local speech recognizer run per segment (WAV on stdin, text on stdout) (default: none, transcripts say where speech is)'],
    ['--log', 'one line per request on stderr'],
  ],
  examples: ['tokenlab-audio emulate', 'tokenlab-audio emulate --port 0 --fault "503" --log', 'tokenlab-audio emulate --recognizer "whisper-cli -m ggml-base.en.bin -f -"'],
  usesApi: false,
};

/** `emulate`: runs the offline API emulator until Ctrl-C / SIGTERM. */
export async function emulateCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs('emulate', args, {
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'accept-key': { type: 'string', multiple: true },
    fault: { type: 'string', multiple: true },
    'upload-limit-bytes': { type: 'string' },
    'speech-pace-ms': { type: 'string' },
    voice: { type: 'string' },
    'speech-detector': { type: 'string' },
    recognizer: { type: 'string' },
    log: { type: 'boolean' },
  }, 0);
  const port = numberOption('emulate', 'port', values['port'] ?? '8787', 0, 65535)!;
  if (!Number.isInteger(port)) throw new UsageError('--port must be a whole number', 'emulate');
  const faults: EmulatorFault[] = [];
  const realtimeFaults: RealtimeFault[] = [];
  for (const spec of (values['fault'] as string[] | undefined) ?? []) {
    const parsed = parseFaultSpec(spec);
    const realtime = parseRealtimeFaultSpec(parsed.unknown);
    if (realtime.unknown.length > 0) {
      throw new UsageError(`unknown fault ${realtime.unknown.join(', ')}; use 429[;retry-after=S], 500, 503, latency=MS, reset, stall, malformed-sse, or for realtime close-1011, malformed-frame, error-event, slow-first-delta=MS, silent, drop, expire=MS`, 'emulate');
    }
    faults.push(...parsed.faults);
    realtimeFaults.push(...realtime.faults);
  }
  const uploadLimitBytes = numberOption('emulate', 'upload-limit-bytes', values['upload-limit-bytes'], 1, Number.MAX_SAFE_INTEGER);
  const speechPaceMs = numberOption('emulate', 'speech-pace-ms', values['speech-pace-ms'], 0, 10_000);
  const voiceEngine = choiceOption('emulate', 'voice', values['voice'], ['auto', 'espeak', 'builtin'] as const);
  const speechDetector = choiceOption('emulate', 'speech-detector', values['speech-detector'], ['vad', 'energy', 'none'] as const);
  // A command line split on whitespace, e.g. --recognizer "whisper-cli -m model.bin -f -".
  const recognizer = typeof values['recognizer'] === 'string' ? values['recognizer'].trim().split(/\s+/).filter(Boolean) : undefined;
  if (recognizer && recognizer.length === 0) throw new UsageError('--recognizer needs a command', 'emulate');
  const acceptKeys = values['accept-key'] as string[] | undefined;
  const emulator = await startEmulator({
    port,
    host: (values['host'] as string | undefined) ?? '127.0.0.1',
    faults,
    ...(realtimeFaults.length > 0 ? { realtime: { faults: realtimeFaults } } : {}),
    ...(acceptKeys ? { apiKeys: acceptKeys } : {}),
    ...(uploadLimitBytes !== undefined ? { uploadLimitBytes } : {}),
    ...(speechPaceMs !== undefined ? { speechPaceMs } : {}),
    ...(voiceEngine ? { voiceEngine } : {}),
    ...(speechDetector ? { speechDetector } : {}),
    ...(recognizer ? { recognizerCommand: recognizer } : {}),
    ...(values['log'] === true ? { log: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use: choose another with --port (0 picks a free one)`, 'emulate');
    throw error;
  });
  if (common.json) printJson(io, { url: emulator.url, port: emulator.port });
  else {
    io.stdout.write(`TokenLab emulator listening on ${emulator.url}\n`);
    io.stdout.write(`  export TOKENLAB_BASE_URL=${emulator.url} TOKENLAB_API_KEY=${acceptKeys ? '<one of your --accept-key values>' : 'any-key'}\n`);
    io.stdout.write(`  faults per request: header "x-emulator-fault: 429;retry-after=2" (or 500, 503, latency=MS, reset, stall, malformed-sse)\n`);
    io.stdout.write('Ctrl-C to stop.\n');
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await emulator.close();
  return EXIT.ok;
}
