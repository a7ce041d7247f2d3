import type { BillableUsage } from './billable-usage.js';
import type { PriceSheet } from './price-sheet.js';

/**
 * The cost of one usage at one model's prices. `costUsd` is undefined when it cannot be known (no price for
 * the unit, no usage, a unit we cannot read); `missing` then says why. `notes` say what the number rests on.
 */
export interface CostEstimate {
  readonly model: string;
  readonly costUsd: number | undefined;
  readonly usage: BillableUsage | undefined;
  /** Why `costUsd` is undefined. */
  readonly missing?: string | undefined;
  /** What the number assumes (e.g. a price applied to tokens the catalog does not price apart). */
  readonly notes: readonly string[];
}

const M = 1_000_000;

/**
 * Prices one usage with one {@link PriceSheet}. Never guesses a price: a usage the sheet cannot price gives
 * `costUsd: undefined` and a `missing` sentence. Where the catalog publishes one input price for tokens the API
 * splits (audio/text/cached), that price applies to all of them and a note says so.
 */
export function costOf(sheet: PriceSheet | undefined, usage: BillableUsage | undefined, model = sheet?.model ?? '(unknown model)'): CostEstimate {
  const notes: string[] = [];
  const none = (missing: string): CostEstimate => ({ model, costUsd: undefined, usage, missing, notes });
  if (!sheet) return none(`no pricing is published for model "${model}"`);
  if (sheet.complex) notes.push(`the catalog marks ${sheet.model}'s pricing as complex; this uses its scalar prices only`);
  if (sheet.unit === 'requests') {
    if (sheet.perRequestUsd === undefined) return none(`${sheet.model} is priced per request but no per-request price is published`);
    return { model, costUsd: sheet.perRequestUsd, usage, notes };
  }
  if (!usage) return none(`the answer carried no usage for ${sheet.model} (priced ${sheet.unitLabel})`);
  switch (sheet.unit) {
    case 'minutes':
    case 'seconds': {
      if (usage.kind !== 'duration') return none(`${sheet.model} is priced ${sheet.unitLabel} but the usage is in ${usage.kind}`);
      if (sheet.perDurationUsd === undefined) return none(`${sheet.model} is priced ${sheet.unitLabel} but no price is published`);
      const units = sheet.unit === 'minutes' ? usage.seconds / 60 : usage.seconds;
      return { model, costUsd: units * sheet.perDurationUsd, usage, notes };
    }
    case 'characters': {
      if (usage.kind !== 'characters') return none(`${sheet.model} is priced ${sheet.unitLabel} but the usage is in ${usage.kind}`);
      if (sheet.inputPer1mUsd === undefined) return none(`${sheet.model} is priced ${sheet.unitLabel} but no input price is published`);
      return { model, costUsd: (usage.characters * sheet.inputPer1mUsd) / M, usage, notes };
    }
    case 'tokens': {
      if (usage.kind !== 'tokens') return none(`${sheet.model} is priced ${sheet.unitLabel} but the usage is in ${usage.kind}`);
      if (usage.inputTokens > 0 && sheet.inputPer1mUsd === undefined && sheet.inputAudioPer1mUsd === undefined) return none(`${sheet.model} has no published input price`);
      if (usage.outputTokens > 0 && sheet.outputPer1mUsd === undefined && sheet.outputAudioPer1mUsd === undefined) return none(`${sheet.model} has no published output price`);
      const input = side(usage.inputTokens, usage.inputAudioTokens, usage.cachedInputTokens, sheet.inputPer1mUsd, sheet.inputAudioPer1mUsd, sheet.cachedInputPer1mUsd, 'input', notes);
      const output = side(usage.outputTokens, usage.outputAudioTokens, 0, sheet.outputPer1mUsd, sheet.outputAudioPer1mUsd, undefined, 'output', notes);
      return { model, costUsd: input + output, usage, notes };
    }
    default:
      return none(`${sheet.model}'s pricing unit "${sheet.unitLabel}" is not one this meter reads`);
  }
}

function side(
  total: number,
  audio: number | undefined,
  cached: number | undefined,
  price: number | undefined,
  audioPrice: number | undefined,
  cachedPrice: number | undefined,
  what: string,
  notes: string[],
): number {
  if (total === 0) return 0;
  const audioTokens = Math.min(total, audio ?? 0);
  const cachedTokens = Math.min(total - audioTokens, cached ?? 0);
  // Cached tokens are reported inside the text/audio counts; OpenAI caches text first, so they are taken from the rest.
  const rest = total - audioTokens;
  const base = price ?? audioPrice!;
  let usd = 0;
  if (audioTokens > 0) {
    if (audioPrice === undefined) notes.push(`${what} audio tokens at the one published ${what} price`);
    usd += audioTokens * (audioPrice ?? base);
  }
  if (cachedTokens > 0) {
    if (cachedPrice === undefined) notes.push(`cached ${what} tokens at the full ${what} price (no cached price published): an upper bound`);
    usd += cachedTokens * (cachedPrice ?? base);
  }
  usd += (rest - cachedTokens) * base;
  return usd / M;
}
