import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommonFlags } from './cli-io.js';
import { UsageError } from './usage-error.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  timeout: { type: 'string' },
} as const satisfies OptionSpec;

/** What {@link parseCommandArgs} returns: positionals, the command's own values and the common flags. */
export interface ParsedCommand<V> {
  positionals: string[];
  values: V;
  common: CommonFlags;
  help: boolean;
}

/**
 * `node:util` parseArgs in strict mode for one command, with the common options added; its errors
 * become a {@link UsageError} naming the command (so the user sees a usage line, not a stack trace).
 */
export function parseCommandArgs<O extends OptionSpec>(command: string, args: string[], options: O, maxPositionals: number): ParsedCommand<Record<string, string | boolean | string[] | undefined>> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '.');
    throw new UsageError(message, command);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (parsed.positionals.length > maxPositionals && values['help'] !== true) {
    throw new UsageError(`Unexpected argument: ${parsed.positionals[maxPositionals]}`, command);
  }
  return {
    positionals: parsed.positionals,
    values,
    help: values['help'] === true,
    common: {
      json: values['json'] === true,
      quiet: values['quiet'] === true,
      baseURL: values['base-url'] as string | undefined,
      apiKey: values['api-key'] as string | undefined,
      timeoutMs: secondsOption(command, '--timeout', values['timeout']),
    },
  };
}

/** A number option within [min, max]; undefined when absent. @throws UsageError. */
export function numberOption(command: string, name: string, raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${JSON.stringify(raw)})`, command);
  }
  return v;
}

/** A string option that must be one of `choices`; undefined when absent. @throws UsageError. */
export function choiceOption<T extends string>(command: string, name: string, raw: unknown, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !choices.includes(raw as T)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got ${JSON.stringify(raw)})`, command);
  }
  return raw as T;
}

/** `--timeout` / `TOKENLAB_TIMEOUT`: seconds (`90`, `1.5`), or with a unit (`500ms`, `90s`, `10m`, `1h`), as ms. @throws UsageError. */
export function secondsOption(command: string, name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(raw) : null;
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms'] : NaN;
  if (!(ms > 0) || ms > 7 * 24 * 3_600_000) {
    throw new UsageError(`${name} must be a time such as 30 (seconds), 90s, 10m or 1h (got ${JSON.stringify(raw)})`, command);
  }
  return ms;
}
