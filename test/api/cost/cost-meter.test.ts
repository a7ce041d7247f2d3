import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { CostMeter, summarizeCosts } from '../../../src/api/cost/cost-meter.js';
import { priceSheetOf } from '../../../src/api/cost/price-sheet.js';
import { costOf } from '../../../src/api/cost/cost-of.js';
import { billableUsageOf } from '../../../src/api/cost/billable-usage.js';
import { BudgetExceededError } from '../../../src/api/cost/budget-exceeded-error.js';
import { InputError } from '../../../src/core/errors.js';

const KEY = 'sk-test-cost-0123456789abcdef';
let emu: EmulatorHandle;
let client: TokenLab;
let dir: string;
let wavPath: string;

beforeAll(async () => {
  emu = await startEmulator({ apiKeys: [KEY], voiceEngine: 'builtin' });
  client = new TokenLab({ apiKey: KEY, baseURL: emu.url });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tla-cost-'));
  const spoken = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello there. This is a test of the cost meter.', response_format: 'wav' });
  wavPath = path.join(dir, 'talk.wav');
  writeFileSync(wavPath, await spoken.buffer());
});
afterAll(async () => {
  await client.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('price sheets from the catalog', () => {
  it('reads per-minute, per-token and per-character pricing from GET /models/{id}/pricing', async () => {
    const whisper = priceSheetOf('whisper-1', await client.models.pricing('whisper-1'));
    expect(whisper).toMatchObject({ unit: 'minutes', perDurationUsd: 0.006, perRequestUsd: undefined });
    const gpt = priceSheetOf('gpt-4o-transcribe', await client.models.pricing('gpt-4o-transcribe'));
    expect(gpt).toMatchObject({ unit: 'tokens', inputPer1mUsd: 2.5, outputPer1mUsd: 10 });
    const tts = priceSheetOf('tts-1', await client.models.pricing('tts-1'));
    expect(tts).toMatchObject({ unit: 'characters', inputPer1mUsd: 15 });
  });

  it('reads a compact list entry too (decimal strings)', async () => {
    const list = await client.models.list({ view: 'compact' });
    const entry = list.data.find((m) => m.id === 'gpt-4o-mini-tts')!;
    expect(priceSheetOf(entry.id, entry)).toMatchObject({ unit: 'tokens', inputPer1mUsd: 0.6, outputPer1mUsd: 12 });
  });

  it('an unreadable unit or a missing price is said, not guessed', () => {
    const odd = priceSheetOf('x', { pricing_unit: 'per_image', scalar_pricing: { per_image: '0.04' } });
    const r = costOf(odd, { kind: 'request' });
    expect(r.costUsd).toBeUndefined();
    expect(r.missing).toMatch(/per_image/);
    const noOutput = priceSheetOf('y', { pricing_unit: 'per_1m_tokens', scalar_pricing: { input_per_1m: '1' } });
    expect(costOf(noOutput, { kind: 'tokens', inputTokens: 10, outputTokens: 5 }).missing).toMatch(/no published output price/);
    expect(costOf(undefined, { kind: 'duration', seconds: 3 }, 'z').missing).toMatch(/no pricing .* "z"/);
    const whisper = priceSheetOf('w', { pricing_unit: 'per_minute', scalar_pricing: { per_minute: '0.006' } });
    expect(costOf(whisper, undefined).missing).toMatch(/no usage/);
    expect(costOf(whisper, { kind: 'tokens', inputTokens: 1, outputTokens: 1 }).missing).toMatch(/usage is in tokens/);
  });
});

describe('usage from answers', () => {
  it('reads transcription, speech SSE and realtime response.done usage', () => {
    expect(billableUsageOf({ text: 'x', usage: { type: 'duration', seconds: 12 } })).toEqual({ kind: 'duration', seconds: 12 });
    expect(billableUsageOf({ type: 'speech.audio.done', usage: { input_tokens: 7, output_tokens: 90, total_tokens: 97 } })).toMatchObject({ kind: 'tokens', inputTokens: 7, outputTokens: 90 });
    const done = {
      type: 'response.done',
      response: {
        usage: {
          total_tokens: 300,
          input_tokens: 200,
          output_tokens: 100,
          input_token_details: { audio_tokens: 150, text_tokens: 50, cached_tokens: 40 },
          output_token_details: { audio_tokens: 80, text_tokens: 20 },
        },
      },
    };
    expect(billableUsageOf(done)).toEqual({
      kind: 'tokens',
      inputTokens: 200,
      outputTokens: 100,
      inputAudioTokens: 150,
      inputTextTokens: 50,
      cachedInputTokens: 40,
      outputAudioTokens: 80,
      outputTextTokens: 20,
    });
    expect(billableUsageOf({ text: 'no usage' })).toBeUndefined();
  });

  it('prices a realtime turn: audio and cached tokens at their own prices when published, else noted', () => {
    const usage = billableUsageOf({ usage: { input_tokens: 200, output_tokens: 100, input_token_details: { audio_tokens: 150, text_tokens: 50, cached_tokens: 40 }, output_token_details: { audio_tokens: 80, text_tokens: 20 } } });
    const split = priceSheetOf('rt', { pricing_unit: 'per_1m_tokens', scalar_pricing: { input_per_1m: '4', output_per_1m: '16', input_audio_per_1m: '32', output_audio_per_1m: '64', cached_input_per_1m: '0.4' } });
    const r = costOf(split, usage);
    // audio in 150×32 + cached 40×0.4 + text in 10×4 + audio out 80×64 + text out 20×16, per million.
    expect(r.costUsd).toBeCloseTo((150 * 32 + 40 * 0.4 + 10 * 4 + 80 * 64 + 20 * 16) / 1e6, 12);
    expect(r.notes).toEqual([]);
    const single = priceSheetOf('rt2', { pricing_unit: 'per_1m_tokens', scalar_pricing: { input_per_1m: '32', output_per_1m: '64' } });
    const r2 = costOf(single, usage);
    expect(r2.costUsd).toBeCloseTo((200 * 32 + 100 * 64) / 1e6, 12);
    expect(r2.notes.join(' ')).toMatch(/cached input tokens at the full input price/);
  });
});

describe('CostMeter against the emulator', () => {
  it('prices a whisper transcription from its duration usage, keeps the request id, sums per scope', async () => {
    const meter = new CostMeter({ client });
    const expected = await meter.expectTranscription('whisper-1', 60_000);
    expect(expected.costUsd).toBeCloseTo(0.006, 10);
    const r = meter.reserve(expected, 'talk.wav', 'batch-1');
    expect(meter.reservedUsd).toBeCloseTo(0.006, 10);
    const result = await client.audio.transcriptions.create({ file: wavPath, model: 'whisper-1' });
    const rec = r.settle({ answer: result, requestId: result.requestId as string | undefined });
    expect(meter.reservedUsd).toBe(0);
    const seconds = (result.usage as { seconds: number }).seconds;
    expect(seconds).toBeGreaterThan(0);
    expect(rec.costUsd).toBeCloseTo((seconds / 60) * 0.006, 12);
    expect(rec.requestId).toBe(result.requestId);
    await meter.record({ model: 'gpt-4o-transcribe', label: 'other', scope: 'batch-2', answer: await client.audio.transcriptions.create({ file: wavPath, model: 'gpt-4o-transcribe' }) });
    expect(meter.summary('batch-1')).toMatchObject({ requests: 1, complete: true });
    expect(meter.summary('batch-1').totalUsd).toBeCloseTo(rec.costUsd!, 12);
    const all = meter.summary();
    expect(all.requests).toBe(2);
    expect(all.byModel['gpt-4o-transcribe']!.costUsd).toBeGreaterThan(0);
  });

  it('token-priced transcription: usage in tokens from the emulator, priced input + output', async () => {
    const meter = new CostMeter({ client });
    const result = await client.audio.transcriptions.create({ file: wavPath, model: 'gpt-4o-mini-transcribe' });
    const usage = result.usage as { type: string; input_tokens: number; output_tokens: number };
    expect(usage.type).toBe('tokens');
    const rec = await meter.record({ model: 'gpt-4o-mini-transcribe', label: 'x', answer: result });
    expect(rec.costUsd).toBeCloseTo((usage.input_tokens * 1.25 + usage.output_tokens * 5) / 1e6, 12);
  });

  it('budget cap: refuses the call that would pass it and says where it stopped; in-flight reservations count', async () => {
    const meter = new CostMeter({ client, maxCostUsd: 0.01 });
    const minute = await meter.expectTranscription('whisper-1', 60_000);
    const a = meter.reserve(minute, 'piece 1');
    let err: unknown;
    try {
      meter.reserve(minute, 'piece 2');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as BudgetExceededError).code).toBe('TLA_ERR_BUDGET_EXCEEDED');
    expect((err as BudgetExceededError).stoppedAt).toBe('piece 2');
    expect((err as Error).message).toMatch(/stopped before piece 2.*\$0\.006 of \$0\.01/);
    a.cancel();
    expect(() => meter.reserve(minute, 'piece 2').cancel()).not.toThrow();
  });

  it('under a cap, an unpriced call is refused (the cap cannot be kept); without one it is recorded as unpriced', async () => {
    const capped = new CostMeter({ client, maxCostUsd: 1 });
    const unknown = await capped.expectTranscription('no-such-model', 1000);
    expect(unknown.costUsd).toBeUndefined();
    expect(unknown.missing).toMatch(/no pricing for "no-such-model"/);
    expect(() => capped.reserve(unknown, 'piece 1')).toThrow(InputError);
    const free = new CostMeter({ client });
    const rec = free.reserve(unknown, 'piece 1').settle({ answer: { text: 'x', usage: { type: 'duration', seconds: 1 } } });
    expect(rec.costUsd).toBeUndefined();
    const s = summarizeCosts([rec]);
    expect(s.complete).toBe(false);
    expect(s.unpriced[0]!.missing).toMatch(/no-such-model/);
  });

  it('speech: per-character models priced from the input length, token models from the SSE usage', async () => {
    const meter = new CostMeter({ client });
    const input = 'A short sentence to speak.';
    const est = await meter.expectSpeech('tts-1', input.length);
    expect(est.costUsd).toBeCloseTo((input.length * 15) / 1e6, 12);
    const tokens = await meter.expectSpeech('gpt-4o-mini-tts', input.length);
    expect(tokens.costUsd).toBeGreaterThan(0);
    expect(tokens.notes.join(' ')).toMatch(/assumes/);
  });
});
