import { realtimeSupportOf, type CompactModel } from '../../api/models.js';
import { printJson, type CliIo } from '../cli-io.js';
import { makeClient } from '../make-client.js';
import { choiceOption, parseCommandArgs } from '../parse-command-args.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CommandHelp } from '../command-help.js';

const TASKS = ['image', 'video', 'music', '3d', 'tts', 'stt', 'embedding', 'rerank', 'translation'] as const;
const CATEGORIES = ['chat', 'embedding', 'translation', 'image', 'video', 'audio', 'tts', 'stt', 'rerank', '3d', 'music'] as const;

/** `tokenlab-audio models --help`. */
export const modelsHelp: CommandHelp = {
  name: 'models',
  summary: 'list models (shortlist for a task with --recommended-for)',
  usage: 'models [options]',
  options: [
    ['--recommended-for TASK', `the server's shortlist for a task, best first: ${TASKS.join(', ')}`],
    ['--category C', `only this category: ${CATEGORIES.join(', ')} (default: all)`],
    ['--provider P', 'only models of this provider, e.g. openai (default: all)'],
    ['--tag T', 'only models with this tag (default: all)'],
  ],
  examples: ['tokenlab-audio models --recommended-for tts', 'tokenlab-audio models --category stt --json'],
};

/** `models`: the compact model list as a table, or the API's JSON with `--json`. */
export async function modelsCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs('models', args, {
    'recommended-for': { type: 'string' },
    category: { type: 'string' },
    provider: { type: 'string' },
    tag: { type: 'string' },
  }, 0);
  const recommendedFor = choiceOption('models', 'recommended-for', values['recommended-for'], TASKS);
  const category = choiceOption('models', 'category', values['category'], CATEGORIES);
  const client = makeClient(io, common);
  try {
    const list = await client.models.list(
      {
        view: 'compact',
        ...(recommendedFor ? { recommendedFor } : {}),
        ...(category ? { category } : {}),
        ...(typeof values['provider'] === 'string' ? { provider: values['provider'] } : {}),
        ...(typeof values['tag'] === 'string' ? { tag: values['tag'] } : {}),
      },
      { signal: io.signal },
    );
    const models = list.data as CompactModel[];
    if (common.json) {
      printJson(io, { requestId: list.requestId, count: models.length, data: models });
      return EXIT.ok;
    }
    const rows = models.map((m) => [
      m.id,
      m.category,
      m.provider,
      m.status + (m.latest ? ' (latest)' : ''),
      (m.supported_operations ?? []).join(',') + (realtimeSupportOf(m).supported && !(m.supported_operations ?? []).includes('realtime') ? ',realtime' : ''),
      m.recommendation ? `#${m.recommendation.preferred_rank ?? '-'}` : '',
    ]);
    const header = ['MODEL', 'CATEGORY', 'PROVIDER', 'STATUS', 'OPERATIONS', recommendedFor ? 'RANK' : ''];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    io.stdout.write(`${line(header)}\n${rows.map((r) => line(r.map(String))).join('\n')}\n`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}
