/**
 * The `--help` of one command: what it does, its usage, every flag with its default, and examples. Each command
 * file exports one of these next to its function, and `run-cli.ts` registers both; the overview (`--help`) and the
 * usage line printed after a usage error are built from the same object, so they cannot drift apart.
 */

/** The help of one command. */
export interface CommandHelp {
  /** The command word, e.g. `speak`. */
  readonly name: string;
  /** One line for the overview, e.g. `text to speech into a file`. */
  readonly summary: string;
  /** The usage line without the program name, e.g. `speak TEXT -o FILE [options]`. */
  readonly usage: string;
  /** Sentences shown under the usage line (what it does, what it reads and writes). */
  readonly description?: readonly string[];
  /** `[flag, what it does (default: …)]` for every flag of the command, the common ones excepted. */
  readonly options: readonly (readonly [flag: string, text: string])[];
  /** Whole command lines, each runnable as shown. */
  readonly examples: readonly string[];
  /** False for commands that do not call the API (no --api-key, --base-url or --timeout). Default true. */
  readonly usesApi?: boolean;
}

/** Flags every command takes (shown in every command's help). */
export const COMMON_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--json', 'machine-readable output: one JSON document on stdout'],
  ['-q, --quiet', 'no progress or status lines on stderr'],
  ['-h, --help', 'this help'],
];

/** Flags of the commands that call the API. */
export const API_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--api-key KEY', 'API key (default: $TOKENLAB_API_KEY); never printed'],
  ['--base-url URL', 'API base URL (default: $TOKENLAB_BASE_URL, else https://api.tokenlab.sh/v1)'],
  ['--timeout T', 'give up on an API call after T: 30 (seconds), 90s, 10m, 1h, retries included (default: $TOKENLAB_TIMEOUT, else per call: model list 60 s, speech 15 min, transcription 1 h)'],
];

/** `tokenlab-audio <usage>`: the line printed after a usage error. */
export function usageLine(help: CommandHelp): string {
  return `tokenlab-audio ${help.usage}`;
}

/** The full `tokenlab-audio <command> --help` text. */
export function renderCommandHelp(help: CommandHelp): string {
  const flags = [...help.options, ...(help.usesApi === false ? [] : API_FLAG_HELP), ...COMMON_FLAG_HELP];
  const width = Math.min(28, Math.max(...flags.map(([f]) => f.length)));
  const row = ([flag, text]: readonly [string, string]): string =>
    flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`;
  const parts = [`Usage: ${usageLine(help)}`, '', `${help.summary[0]!.toUpperCase()}${help.summary.slice(1)}.`];
  if (help.description?.length) parts.push(...help.description);
  parts.push('', 'Options:', ...flags.map(row));
  if (help.examples.length) parts.push('', 'Examples:', ...help.examples.map((e) => `  ${e}`));
  return `${parts.join('\n')}\n`;
}
