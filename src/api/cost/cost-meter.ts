/**
 * The cost meter: prices from the catalog's pricing route, usage from each answer, an estimated cost per
 * request, per batch or job (`scope`), per realtime turn and session, and an optional budget cap checked
 * before each billable call. Where a price or a usage is missing it says so (`unpriced`), never guesses.
 */
import { InputError } from '../../core/errors.js';
import type { ModelPricing } from '../models.js';
import type { RequestOptions } from '../request-options.js';
import { type BillableUsage, billableUsageOf } from './billable-usage.js';
import { BudgetExceededError } from './budget-exceeded-error.js';
import { type CostEstimate, costOf } from './cost-of.js';
import { expectedSpeechUsage, expectedTranscriptionUsage } from './estimate-usage.js';
import { type PriceSheet, priceSheetOf } from './price-sheet.js';

/** Something that answers `GET /models/{id}/pricing` (a `TokenLab` client). */
export interface PricingSource {
  readonly models: { pricing(id: string, options?: RequestOptions): Promise<ModelPricing> };
}

/** Options of {@link CostMeter}. */
export interface CostMeterOptions {
  /** Where prices come from: the client's `models.pricing(id)` (fetched once per model). */
  readonly client?: PricingSource | undefined;
  /** Prices given directly, by model id (a sheet or a pricing-route body); used before the client. */
  readonly prices?: Readonly<Record<string, PriceSheet | ModelPricing>> | undefined;
  /** Budget cap in USD: a call whose estimate would take spent + in-flight past it is not started. */
  readonly maxCostUsd?: number | undefined;
}

/** One priced call. Plain data (JSON-serialisable) so a worker can send it back to the producer. */
export interface CostRecord extends CostEstimate {
  /** What the call was (`piece 3`, `turn 7`, a file name). */
  readonly label: string;
  /** Batch, job or session it belongs to. */
  readonly scope?: string | undefined;
  readonly requestId?: string | undefined;
}

/** Totals over the records of a meter (or of one scope). */
export interface CostSummary {
  /** Sum of the priced records, USD. A lower bound when `unpriced` is not empty. */
  readonly totalUsd: number;
  readonly requests: number;
  /** Records whose cost is unknown, with the reason. */
  readonly unpriced: readonly { readonly label: string; readonly model: string; readonly requestId?: string | undefined; readonly missing: string }[];
  readonly byModel: Readonly<Record<string, { readonly costUsd: number; readonly requests: number }>>;
  /** Every record was priced. */
  readonly complete: boolean;
}

/** A budget reservation for a call in flight: settle it with the answer, or cancel it when the call failed. */
export interface CostReservation {
  readonly estimate: CostEstimate;
  /** Records the call's real usage (from its answer) and frees the reservation. */
  settle(answer: { usage?: BillableUsage | undefined; answer?: unknown; requestId?: string | undefined }): CostRecord;
  /** Frees the reservation without recording (the call was not billed). */
  cancel(): void;
}

/**
 * Meters the cost of API calls.
 *
 * ```ts
 * const meter = new CostMeter({ client, maxCostUsd: 2 });
 * const r = await meter.reserve('gpt-4o-transcribe', await meter.expectTranscription('gpt-4o-transcribe', 60_000), 'piece 1');
 * const result = await client.audio.transcriptions.create({ file, model: 'gpt-4o-transcribe' });
 * r.settle({ answer: result, requestId: result.requestId });
 * meter.summary(); // { totalUsd, requests, unpriced, byModel, complete }
 * ```
 */
export class CostMeter {
  readonly maxCostUsd: number | undefined;
  readonly #client: PricingSource | undefined;
  readonly #given: Map<string, PriceSheet>;
  readonly #sheets = new Map<string, Promise<PriceSheet | undefined>>();
  readonly #resolved = new Map<string, PriceSheet>();
  readonly #problems = new Map<string, string>();
  readonly #records: CostRecord[] = [];
  #reservedUsd = 0;

  /** @throws InputError for a negative or non-numeric `maxCostUsd`. */
  constructor(options: CostMeterOptions = {}) {
    if (options.maxCostUsd !== undefined && !(typeof options.maxCostUsd === 'number' && options.maxCostUsd >= 0)) {
      throw new InputError(`maxCostUsd must be a number of US dollars ≥ 0, got ${String(options.maxCostUsd)}.`, 'TLA_ERR_INPUT_OPTION');
    }
    this.maxCostUsd = options.maxCostUsd;
    this.#client = options.client;
    this.#given = new Map(Object.entries(options.prices ?? {}).map(([id, p]) => [id, 'unit' in p && 'complex' in p ? (p as PriceSheet) : priceSheetOf(id, p)]));
  }

  /**
   * The model's prices: given ones first, else the client's pricing route (once per model). Undefined when none
   * can be had; {@link pricingProblem} then says why.
   */
  priceSheet(model: string, options: RequestOptions = {}): Promise<PriceSheet | undefined> {
    const given = this.#given.get(model);
    if (given) return Promise.resolve(given);
    let p = this.#sheets.get(model);
    if (!p) {
      const client = this.#client;
      if (!client) {
        this.#problems.set(model, `no pricing for "${model}": the meter has no client and no prices for it`);
        return Promise.resolve(undefined);
      }
      p = client.models.pricing(model, options).then(
        (body) => {
          const sheet = priceSheetOf(model, body);
          this.#resolved.set(model, sheet);
          return sheet;
        },
        (e: unknown) => {
          this.#sheets.delete(model);
          this.#problems.set(model, `no pricing for "${model}": ${(e as Error).message}`);
          return undefined;
        },
      );
      this.#sheets.set(model, p);
    }
    return p;
  }

  /** Why {@link priceSheet} gave nothing for `model`, if it did. */
  pricingProblem(model: string): string | undefined {
    return this.#problems.get(model);
  }

  /** Prices a usage (already known) for `model`. */
  async estimate(model: string, usage: BillableUsage | undefined): Promise<CostEstimate> {
    const sheet = await this.priceSheet(model);
    return sheet ? costOf(sheet, usage, model) : { model, costUsd: undefined, usage, missing: this.pricingProblem(model) ?? `no pricing for "${model}"`, notes: [] };
  }

  /** The expected cost of transcribing or translating `durationMs` of audio with `model` (before the call). */
  async expectTranscription(model: string, durationMs: number): Promise<CostEstimate> {
    const sheet = await this.priceSheet(model);
    if (!sheet) return this.estimate(model, undefined);
    const expected = expectedTranscriptionUsage(sheet, durationMs);
    const est = costOf(sheet, expected.usage, model);
    return { ...est, notes: [...est.notes, ...expected.assumptions.map((a) => `assumes ${a}`)] };
  }

  /** The expected cost of speaking `characters` characters with `model` (before the call). */
  async expectSpeech(model: string, characters: number): Promise<CostEstimate> {
    const sheet = await this.priceSheet(model);
    if (!sheet) return this.estimate(model, undefined);
    const expected = expectedSpeechUsage(sheet, characters);
    const est = costOf(sheet, expected.usage, model);
    return { ...est, notes: [...est.notes, ...expected.assumptions.map((a) => `assumes ${a}`)] };
  }

  /** Spent on finished calls, USD (priced records only). */
  get spentUsd(): number {
    let usd = 0;
    for (const r of this.#records) usd += r.costUsd ?? 0;
    return usd;
  }

  /** Reserved for calls in flight, USD. */
  get reservedUsd(): number {
    return this.#reservedUsd;
  }

  /** Every record so far (copies). */
  get records(): readonly CostRecord[] {
    return [...this.#records];
  }

  /**
   * Checks the budget and reserves `estimate` for a call about to start (`label` says which).
   * @throws BudgetExceededError when spent + reserved + this estimate would pass `maxCostUsd` (nothing reserved).
   * @throws InputError (`TLA_ERR_BUDGET_UNPRICED`) under a cap when the estimate is unknown: the cap cannot be kept.
   */
  reserve(estimate: CostEstimate, label: string, scope?: string): CostReservation {
    const cap = this.maxCostUsd;
    if (cap !== undefined) {
      if (estimate.costUsd === undefined) {
        throw new InputError(`Cannot keep the budget cap for ${label}: ${estimate.missing ?? 'its cost is unknown'}. Run without a cap, or give prices to the meter.`, 'TLA_ERR_BUDGET_UNPRICED');
      }
      const committed = this.spentUsd + this.#reservedUsd;
      // A tiny tolerance so that summing floats does not stop a job that fits exactly.
      if (committed + estimate.costUsd > cap * (1 + 1e-9)) {
        throw new BudgetExceededError({ maxCostUsd: cap, committedUsd: committed, nextCostUsd: estimate.costUsd, stoppedAt: label });
      }
    }
    const held = estimate.costUsd ?? 0;
    this.#reservedUsd += held;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.#reservedUsd = Math.max(0, this.#reservedUsd - held);
      return true;
    };
    return {
      estimate,
      settle: (a) => {
        close();
        const usage = a.usage ?? billableUsageOf(a.answer) ?? (estimate.usage?.kind === 'characters' || estimate.usage?.kind === 'request' ? estimate.usage : undefined);
        return this.#push(estimate.model, usage, label, scope, a.requestId);
      },
      cancel: () => void close(),
    };
  }

  /** Records a finished call from its answer (or a usage). The model's prices must be loadable (see {@link priceSheet}). */
  async record(call: { model: string; label: string; scope?: string | undefined; requestId?: string | undefined; usage?: BillableUsage | undefined; answer?: unknown }): Promise<CostRecord> {
    await this.priceSheet(call.model);
    return this.#push(call.model, call.usage ?? billableUsageOf(call.answer), call.label, call.scope, call.requestId);
  }

  /** Adds a record priced elsewhere (e.g. by a worker on another machine). */
  add(record: CostRecord): void {
    this.#records.push(record);
  }

  #push(model: string, usage: BillableUsage | undefined, label: string, scope: string | undefined, requestId: string | undefined): CostRecord {
    const sheet = this.#given.get(model) ?? this.#resolved.get(model);
    const est: CostEstimate = sheet ? costOf(sheet, usage, model) : { model, costUsd: undefined, usage, missing: this.pricingProblem(model) ?? `no pricing for "${model}"`, notes: [] };
    const record: CostRecord = { ...est, label, ...(scope !== undefined ? { scope } : {}), ...(requestId !== undefined ? { requestId } : {}) };
    this.#records.push(record);
    return record;
  }

  /** Totals, for every record or for one scope (a batch, a job, a realtime session). */
  summary(scope?: string): CostSummary {
    const records = scope === undefined ? this.#records : this.#records.filter((r) => r.scope === scope);
    return summarizeCosts(records);
  }
}

/** Totals over cost records (a meter's, or records gathered from workers). */
export function summarizeCosts(records: readonly CostRecord[]): CostSummary {
  let totalUsd = 0;
  const unpriced: { label: string; model: string; requestId?: string | undefined; missing: string }[] = [];
  const byModel: Record<string, { costUsd: number; requests: number }> = {};
  for (const r of records) {
    const m = (byModel[r.model] ??= { costUsd: 0, requests: 0 });
    m.requests++;
    if (r.costUsd === undefined) unpriced.push({ label: r.label, model: r.model, requestId: r.requestId, missing: r.missing ?? 'cost unknown' });
    else {
      totalUsd += r.costUsd;
      m.costUsd += r.costUsd;
    }
  }
  return { totalUsd, requests: records.length, unpriced, byModel, complete: unpriced.length === 0 };
}
