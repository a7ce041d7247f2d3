import type { Model } from '../../api/models.js';
import { printJson, status, type CliIo } from '../cli-io.js';
import type { CommandHelp } from '../command-help.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { makeClient } from '../make-client.js';
import { parseCommandArgs } from '../parse-command-args.js';

/**
 * The voice names the API reference documents for its OpenAI-compatible speech models (the gateway has no voice
 * list route). Shown only when the model's catalog entry lists no voices, and labelled as such.
 */
export const DOCUMENTED_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;

/** `tokenlab-audio voices --help`. */
export const voicesHelp: CommandHelp = {
  name: 'voices',
  summary: 'list the voices a speech model takes',
  usage: 'voices [--model M] [options]',
  description: [
    "With --model, reads the model's catalog entry and prints the voices it lists. When the catalog lists none (or no model is given), prints the voice names the API documents for OpenAI-compatible models, and says so.",
  ],
  options: [['--model M', 'the speech model to ask the catalog about (default: none, the documented names)']],
  examples: ['tokenlab-audio voices', 'tokenlab-audio voices --model gpt-4o-mini-tts --json'],
};

/** Voice names found anywhere in a model's metadata under a `voice`/`voices` key (strings, or objects with `id`/`name`). */
export function voicesInCatalog(model: Model): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number, underVoiceKey: boolean): void => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (underVoiceKey && typeof item === 'string' && item.trim() !== '') found.add(item);
        else if (underVoiceKey && item !== null && typeof item === 'object') {
          const id = (item as { id?: unknown; name?: unknown }).id ?? (item as { name?: unknown }).name;
          if (typeof id === 'string' && id !== '') found.add(id);
        } else visit(item, depth + 1, false);
      }
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const voiceKey = /^(?:voices?|voice_ids?|supported_voices|available_voices)$/i.test(key);
      // `{ voice: { enum: [...] } }` (a parameter schema) counts as a list too.
      if (voiceKey && child !== null && typeof child === 'object' && !Array.isArray(child) && Array.isArray((child as { enum?: unknown }).enum)) {
        visit((child as { enum: unknown[] }).enum, depth + 1, true);
      } else visit(child, depth + 1, voiceKey || (underVoiceKey && key === 'values'));
    }
  };
  visit(model.tokenlab, 0, false);
  return [...found];
}

/** `voices`: the voices of a speech model, from its catalog entry when it lists them. */
export async function voicesCommand(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, common } = parseCommandArgs('voices', args, { model: { type: 'string' } }, 0);
  const model = typeof values['model'] === 'string' ? values['model'] : undefined;
  let voices: string[] = [];
  let requestId: string | undefined;
  if (model) {
    const client = makeClient(io, common);
    try {
      const entry = await client.models.retrieve(model, { signal: io.signal });
      requestId = entry.requestId;
      voices = voicesInCatalog(entry);
    } finally {
      await client.close();
    }
  }
  const source = voices.length > 0 ? 'catalog' : 'documented';
  if (voices.length === 0) voices = [...DOCUMENTED_VOICES];
  if (common.json) {
    printJson(io, { model: model ?? null, source, voices, requestId: requestId ?? null });
    return EXIT.ok;
  }
  if (source === 'documented') {
    status(io, common, model
      ? `The catalog entry of ${model} lists no voices; these are the names the API documents for OpenAI-compatible models (other providers' models take their own voice ids):`
      : 'Voice names the API documents for OpenAI-compatible models (add --model M to ask the catalog about one model):');
  } else status(io, common, `Voices of ${model} (from its catalog entry; request ${requestId ?? '-'}):`);
  io.stdout.write(`${voices.join('\n')}\n`);
  return EXIT.ok;
}
