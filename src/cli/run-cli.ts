import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CliIo } from './cli-io.js';
import { describeError, exitCodeFor } from './describe-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { helpText } from './help-text.js';
import { type CommandHelp, renderCommandHelp, usageLine } from './command-help.js';
import { UsageError } from './usage-error.js';
import { demoCommand, demoHelp } from './commands/demo-command.js';
import { emulateCommand, emulateHelp } from './commands/emulate-command.js';
import { realtimeCommand, realtimeHelp } from './commands/realtime-command.js';
import { modelsCommand, modelsHelp } from './commands/models-command.js';
import { speakCommand, speakHelp } from './commands/speak-command.js';
import { splitCommand, splitHelp } from './commands/split-command.js';
import { transcribeCommand, transcribeHelp, translateHelp } from './commands/transcribe-command.js';
import { convertCommand, convertHelp } from './commands/convert-command.js';
import { voicesCommand, voicesHelp } from './commands/voices-command.js';
import { workerCommand, workerHelp } from './commands/worker-command.js';

/** The package version (from package.json, two levels up from both src/cli and dist/cjs). */
export function cliVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** One command: its function and its `--help` (a new command adds one line here and exports its `CommandHelp`). */
interface CliCommand {
  readonly run: (args: string[], io: CliIo) => Promise<ExitCode>;
  readonly help: CommandHelp;
}

const COMMANDS: Record<string, CliCommand> = {
  models: { run: modelsCommand, help: modelsHelp },
  voices: { run: voicesCommand, help: voicesHelp },
  speak: { run: speakCommand, help: speakHelp },
  transcribe: { run: (args, io) => transcribeCommand('transcribe', args, io), help: transcribeHelp },
  translate: { run: (args, io) => transcribeCommand('translate', args, io), help: translateHelp },
  split: { run: splitCommand, help: splitHelp },
  convert: { run: convertCommand, help: convertHelp },
  worker: { run: workerCommand, help: workerHelp },
  realtime: { run: realtimeCommand, help: realtimeHelp },
  emulate: { run: emulateCommand, help: emulateHelp },
  demo: { run: demoCommand, help: demoHelp },
};

/**
 * Runs one CLI invocation and returns its exit code; never throws. Errors are printed as one short
 * message (no stack trace) on stderr, or as `{ "error": … }` on stdout with `--json`.
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(helpText(cliVersion(), Object.values(COMMANDS).map((c) => c.help)));
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`${cliVersion()}\n`);
      return EXIT.ok;
    }
    const entry = COMMANDS[command];
    if (!entry) throw new UsageError(`Unknown command: ${command}. Commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(renderCommandHelp(entry.help));
      return EXIT.ok;
    }
    return await entry.run(rest, io);
  } catch (error) {
    const code = io.signal.aborted ? EXIT.interrupted : exitCodeFor(error);
    const apiKeyIndex = rest.indexOf('--api-key');
    const secrets = [io.env['TOKENLAB_API_KEY'], apiKeyIndex >= 0 ? rest[apiKeyIndex + 1] : undefined, ...rest.filter((a) => a.startsWith('--api-key=')).map((a) => a.slice(10))];
    let message = code === EXIT.interrupted ? 'Interrupted.' : describeError(error, secrets);
    const ffmpegPath = io.env['FFMPEG_PATH'];
    if (code === EXIT.environment && ffmpegPath && !existsSync(ffmpegPath)) {
      message += `\n  FFMPEG_PATH is set to ${ffmpegPath}, which does not exist: point it at an ffmpeg executable, or unset it to use the bundled or installed one.`;
    }
    if (json) {
      const e = error as { code?: string; status?: number; requestId?: string };
      io.stdout.write(`${JSON.stringify({ error: { message, exitCode: code, code: e?.code ?? null, status: e?.status ?? null, requestId: e?.requestId ?? null } }, null, 2)}\n`);
    } else {
      io.stderr.write(`tokenlab-audio: ${message}\n`);
      if (error instanceof UsageError) {
        const help = error.command ? COMMANDS[error.command]?.help : undefined;
        io.stderr.write(help ? `Usage: ${usageLine(help)}\n(every flag: tokenlab-audio ${help.name} --help)\n` : 'Usage: tokenlab-audio <command> [options]; tokenlab-audio --help\n');
      }
      if (code === EXIT.failure && error instanceof Error && io.env['TOKENLAB_DEBUG']) {
        // The stack repeats the message: redact it the same way.
        let stack = error.stack ?? '';
        for (const secret of secrets) if (secret && secret.length >= 4) stack = stack.split(secret).join('<redacted>');
        io.stderr.write(`${stack}\n`);
      }
    }
    return code;
  }
}
