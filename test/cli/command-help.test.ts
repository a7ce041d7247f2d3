import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './run-cli-in-process.js';

const run = (args: string[]): ReturnType<typeof runCliInProcess> => runCliInProcess(args);

/** The long flag names a command's source passes to parseCommandArgs (the parser's own list). */
function parsedFlags(source: string): string[] {
  const call = source.slice(source.indexOf('parseCommandArgs('));
  const spec = call.slice(call.indexOf('{'), call.indexOf('}, ', call.indexOf('type:')) + 200);
  return [...spec.matchAll(/(?:'([a-z][a-z0-9-]*)'|\b([a-z][a-z0-9]*)): \{ type:/g)].map((m) => m[1] ?? m[2]!);
}

describe('per-command --help', () => {
  it('lists every command with a summary, and each command has usage, every flag with defaults, and examples', async () => {
    const overview = await run(['--help']);
    expect(overview.code).toBe(0);
    const commandsSection = overview.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!;
    const names = commandsSection.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['models', 'voices', 'speak', 'transcribe', 'translate', 'split', 'emulate', 'demo']));
    for (const name of names) {
      const help = await run([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^Usage: tokenlab-audio ${name}`));
      expect(help.stdout, name).toMatch(/\nOptions:\n/);
      expect(help.stdout, name).toMatch(/\nExamples:\n {2}tokenlab-audio /);
      const file = name === 'translate' ? 'transcribe' : name;
      let source: string;
      try {
        source = readFileSync(`src/cli/commands/${file}-command.ts`, 'utf8');
      } catch {
        continue; // a command defined elsewhere
      }
      const flags = parsedFlags(source).filter((f) => !(name === 'translate' && f === 'language'));
      expect(flags.length, name).toBeGreaterThan(0);
      for (const flag of flags) expect(help.stdout, `${name} --${flag}`).toContain(`--${flag}`);
    }
  });

  it('names the defaults a newcomer needs: model, voice and format', async () => {
    const speak = (await run(['speak', '--help'])).stdout;
    expect(speak).toMatch(/--model M .*default: the server's, tts-1/);
    expect(speak).toMatch(/--voice V .*default: the server's, alloy/);
    expect(speak).toMatch(/--format F .*default: from the -o extension, else mp3/);
    const transcribe = (await run(['transcribe', '--help'])).stdout;
    expect(transcribe).toMatch(/--model M .*default: whisper-1/);
    expect(transcribe).toMatch(/--format F .*default: text/);
  });

  it('a usage error shows the usage line and where to find every flag', async () => {
    const bad = await run(['speak', '--colour', 'red']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Usage: tokenlab-audio speak TEXT\|- -o FILE \[options\]$/m);
    expect(bad.stderr).toMatch(/every flag: tokenlab-audio speak --help/);
  });
});
