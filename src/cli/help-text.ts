import { API_FLAG_HELP, COMMON_FLAG_HELP, type CommandHelp, usageLine } from './command-help.js';

/** The full `tokenlab-audio --help` text: every command's usage and summary, the common flags, exit codes. */
export function helpText(version: string, commands: readonly CommandHelp[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const flags = [...API_FLAG_HELP, ...COMMON_FLAG_HELP, ['-v, --version', 'the version'] as const];
  const flagWidth = Math.max(...flags.map(([f]) => f.length));
  return `tokenlab-audio ${version}: audio streams and tools for the TokenLab audio API

Usage:
${commands.map((c) => `  ${usageLine(c)}`).join('\n')}

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every flag, its default and examples: tokenlab-audio <command> --help

Options for every command:
${flags.map(([f, t]) => `  ${f.padEnd(flagWidth)}  ${t}`).join('\n')}

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 input (file, text, missing key), 4 API error,
5 network (connection, timeout), 6 environment (ffmpeg missing), 130 interrupted.
`;
}
