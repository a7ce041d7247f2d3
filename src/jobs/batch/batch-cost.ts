/**
 * The cost side of a batch: before anything billable is sent, an estimate of every item (audio lengths probed
 * from the files, characters counted for speech, prices from the catalog's pricing route); after, each finished
 * item's cost from its answer's usage. It never guesses: an item whose price or length cannot be known is
 * unpriced, with the reason, and an item priced from its estimate (the answer had no usage) says so.
 */
import { billableUsageOf, type BillableUsage } from '../../api/cost/billable-usage.js';
import { CostMeter, type CostMeterOptions } from '../../api/cost/cost-meter.js';
import { costOf } from '../../api/cost/cost-of.js';
import { expectedSpeechUsage, expectedTranscriptionUsage } from '../../api/cost/estimate-usage.js';
import type { PriceSheet } from '../../api/cost/price-sheet.js';
import type { BatchJob } from './batch-job.js';
import { concurrencyLimiter } from './concurrency-limiter.js';
import { ffmpegDurationMs, headerDurationMs } from './probe-audio-duration.js';
import type { BatchJobResult } from './run-batch-job.js';

/** The estimate of one item, made before it runs. */
export interface BatchItemEstimate {
  readonly name: string;
  readonly kind: BatchJob['kind'];
  /** The model it is priced with; undefined when the job names none (the server picks). */
  readonly model: string | undefined;
  /** Audio length probed from the file (transcribe, translate), ms. */
  readonly durationMs: number | undefined;
  /** Characters to speak (speak). */
  readonly characters: number | undefined;
  /** Expected cost, USD; undefined when it cannot be known (`missing` says why). */
  readonly costUsd: number | undefined;
  readonly missing: string | undefined;
  /** What the number assumes (e.g. tokens per second of audio for token-priced models). */
  readonly notes: readonly string[];
}

/** The estimate of a whole batch. */
export interface BatchCostEstimate {
  readonly items: readonly BatchItemEstimate[];
  /** Sum over the priced items, USD: a lower bound when `unpriced` is not empty. */
  readonly totalUsd: number;
  /** Items whose cost cannot be known, with the reason. */
  readonly unpriced: readonly BatchItemEstimate[];
  /** Every item was priced. */
  readonly complete: boolean;
  /** Audio to transcribe or translate, ms (items whose length is known). */
  readonly audioMs: number;
  /** Characters to speak. */
  readonly characters: number;
  readonly byModel: Readonly<Record<string, { readonly costUsd: number; readonly items: number }>>;
  /** The distinct assumptions behind the numbers. */
  readonly notes: readonly string[];
}

/** The cost of one finished item as the manifest records it. */
export interface BatchItemCost {
  /** USD; undefined when unknown. */
  readonly costUsd: number | undefined;
  /** Where the number comes from when not from the answer's usage, or why there is none. */
  readonly note: string | undefined;
}

/** Options of {@link BatchCostMeter.create}. */
export interface BatchCostMeterOptions {
  /** Where prices come from (a `TokenLab` client: `GET /models/{id}/pricing`), and/or prices given directly. */
  readonly client?: CostMeterOptions['client'];
  readonly prices?: CostMeterOptions['prices'];
  readonly signal?: AbortSignal | undefined;
  readonly ffmpegPath?: string | undefined;
  /** ffmpeg probes run at once, for files whose header does not state their length (WAV, FLAC and Ogg/Opus are read in-process). Default 4. */
  readonly probeConcurrency?: number | undefined;
}

/** Items estimated at once (open files at a time). */
const ESTIMATE_CONCURRENCY = 16;

/** The model a job is billed under: transcription defaults to whisper-1 (as {@link runBatchJob} sends it). */
function billedModel(job: BatchJob): string | undefined {
  return job.kind === 'transcribe' ? (job.model ?? 'whisper-1') : job.model;
}

/**
 * Prices a batch. {@link create} fetches each model's prices once; {@link estimateAll} probes every item (for a
 * dry run or a budget cap); {@link costOf} prices a finished item, probing its file only when the answer
 * carried no usage. Ready for `runBatch({ costOf, estimateCostUsd, maxCostUsd })`.
 *
 * ```ts
 * const cost = await BatchCostMeter.create(jobs, { client });
 * const estimate = await cost.estimateAll(); // before anything is sent: estimate.totalUsd, estimate.unpriced
 * await runBatch({ client, jobs, maxCostUsd: 5, costOf: cost.costOf, estimateCostUsd: cost.estimateCostUsd });
 * ```
 */
export class BatchCostMeter {
  readonly #meter: CostMeter;
  readonly #jobs: readonly BatchJob[];
  readonly #options: BatchCostMeterOptions;
  readonly #estimates = new Map<BatchJob, Promise<BatchItemEstimate>>();
  readonly #known = new Map<BatchJob, BatchItemEstimate>();
  readonly #ffmpegSlot: <T>(task: () => Promise<T>) => Promise<T>;

  private constructor(jobs: readonly BatchJob[], meter: CostMeter, options: BatchCostMeterOptions) {
    this.#jobs = jobs;
    this.#meter = meter;
    this.#options = options;
    this.#ffmpegSlot = concurrencyLimiter(Math.max(1, options.probeConcurrency ?? 4));
  }

  /** A model's prices (fetched once), or the reason there are none. */
  async #sheet(model: string): Promise<{ sheet: PriceSheet | undefined; problem: string }> {
    const sheet = await this.#meter.priceSheet(model, this.#options.signal ? { signal: this.#options.signal } : {});
    return { sheet, problem: this.#meter.pricingProblem(model) ?? `no pricing for "${model}"` };
  }

  /**
   * Fetches the prices of every model the jobs use (once each; other models' prices are fetched when first
   * needed, e.g. by a queue worker). A model without prices is not an error: its items are unpriced, with the reason.
   * @throws AbortError on abort.
   */
  static async create(jobs: readonly BatchJob[], options: BatchCostMeterOptions = {}): Promise<BatchCostMeter> {
    const meter = new CostMeter({ ...(options.client ? { client: options.client } : {}), ...(options.prices ? { prices: options.prices } : {}) });
    const cost = new BatchCostMeter(jobs, meter, options);
    for (const model of new Set(jobs.map(billedModel))) {
      options.signal?.throwIfAborted();
      if (model !== undefined) await cost.#sheet(model);
    }
    options.signal?.throwIfAborted();
    return cost;
  }

  /** A file's length: from its header in-process, else from ffmpeg (a bounded number at once). */
  async #durationMs(file: string): Promise<number> {
    const options = { signal: this.#options.signal, ffmpegPath: this.#options.ffmpegPath };
    return (await headerDurationMs(file)) ?? (await this.#ffmpegSlot(() => ffmpegDurationMs(file, options)));
  }

  /** The estimate of one job (its file probed once, without decoding). */
  estimateOf(job: BatchJob): Promise<BatchItemEstimate> {
    let p = this.#estimates.get(job);
    if (!p) {
      p = estimateItem(job, (model) => this.#sheet(model), (file) => this.#durationMs(file), this.#options).then((e) => {
        this.#known.set(job, e);
        return e;
      });
      this.#estimates.set(job, p);
    }
    return p;
  }

  /**
   * Estimates every job before anything is sent: audio lengths probed (no decoding), characters counted. A file
   * that cannot be probed (corrupt, no audio track) is an unpriced item, not an error.
   * @throws AbortError on abort; FfmpegNotFoundError when audio items need ffmpeg and there is none.
   */
  async estimateAll(): Promise<BatchCostEstimate> {
    const items = new Array<BatchItemEstimate>(this.#jobs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.#jobs.length) {
        const index = next++;
        items[index] = await this.estimateOf(this.#jobs[index]!);
      }
    };
    // Header reads are a few bytes each; ffmpeg probes are bounded separately (probeConcurrency).
    await Promise.all(Array.from({ length: Math.min(this.#jobs.length, ESTIMATE_CONCURRENCY) }, worker));
    return summarizeEstimates(items);
  }

  /** The expected cost of `job` in USD once estimated ({@link estimateAll}); undefined when unknown. */
  readonly estimateCostUsd = (job: BatchJob): number | undefined => this.#known.get(job)?.costUsd;

  /**
   * The cost of a finished item: from the answer's usage; for speech billed per character, from the text; when
   * the answer carried no usage (text, SRT and VTT transcripts have none), from the item's estimate, said in `note`.
   */
  readonly costOf = async (job: BatchJob, result: BatchJobResult): Promise<BatchItemCost> => {
    if (result.fromCache) return { costUsd: 0, note: 'served from the speech cache: not billed' };
    const model = billedModel(job);
    if (model === undefined) return { costUsd: undefined, note: 'no model was given (the server chose one): pass a model to price it' };
    const { sheet, problem } = await this.#sheet(model);
    if (!sheet) return { costUsd: undefined, note: problem };
    let usage: BillableUsage | undefined = billableUsageOf(result.usage === undefined ? undefined : { usage: result.usage });
    if (!usage && job.kind === 'speak' && sheet.unit === 'characters') usage = { kind: 'characters', characters: job.text.length };
    if (usage) {
      const priced = costOf(sheet, usage, model);
      if (priced.costUsd !== undefined) return { costUsd: priced.costUsd, note: priced.notes.length > 0 ? priced.notes.join('; ') : undefined };
    }
    const estimate = await this.estimateOf(job);
    if (estimate.costUsd !== undefined) {
      const what = job.kind === 'speak' ? `${estimate.characters} characters` : `${((estimate.durationMs ?? 0) / 1000).toFixed(2)} s of audio (probed)`;
      const why = job.kind === 'speak' ? 'the answer carried no usage' : `the ${job.responseFormat ?? 'text'} answer carried no usage`;
      return { costUsd: estimate.costUsd, note: [`estimated: ${why}; priced from ${what}`, ...estimate.notes].join('; ') };
    }
    return { costUsd: undefined, note: estimate.missing ?? `the answer carried no usage for ${model}` };
  };
}

async function estimateItem(job: BatchJob, sheetOf: (model: string) => Promise<{ sheet: PriceSheet | undefined; problem: string }>, durationOf: (file: string) => Promise<number>, options: BatchCostMeterOptions): Promise<BatchItemEstimate> {
  const model = billedModel(job);
  const base = { name: job.name, kind: job.kind, model };
  let durationMs: number | undefined;
  let characters: number | undefined;
  if (job.kind === 'speak') characters = job.text.length;
  else {
    try {
      options.signal?.throwIfAborted();
      durationMs = await durationOf(job.file);
    } catch (error) {
      if (options.signal?.aborted || (error as { code?: string }).code === 'TLA_ERR_FFMPEG_NOT_FOUND') throw error;
      return { ...base, durationMs, characters, costUsd: undefined, missing: (error as Error).message, notes: [] };
    }
  }
  if (model === undefined) return { ...base, durationMs, characters, costUsd: undefined, missing: 'no model given (the server picks its default): pass a model to price it', notes: [] };
  const { sheet, problem } = await sheetOf(model);
  if (!sheet) return { ...base, durationMs, characters, costUsd: undefined, missing: problem, notes: [] };
  const expected = job.kind === 'speak' ? expectedSpeechUsage(sheet, characters!) : expectedTranscriptionUsage(sheet, durationMs!);
  const priced = costOf(sheet, expected.usage, model);
  return { ...base, durationMs, characters, costUsd: priced.costUsd, missing: priced.missing, notes: [...priced.notes, ...expected.assumptions.map((a) => `assumes ${a}`)] };
}

function summarizeEstimates(items: readonly BatchItemEstimate[]): BatchCostEstimate {
  let totalUsd = 0;
  let audioMs = 0;
  let characters = 0;
  const byModel: Record<string, { costUsd: number; items: number }> = {};
  const notes = new Set<string>();
  const unpriced: BatchItemEstimate[] = [];
  for (const item of items) {
    audioMs += item.durationMs ?? 0;
    characters += item.characters ?? 0;
    for (const n of item.notes) notes.add(n);
    if (item.costUsd === undefined) {
      unpriced.push(item);
      continue;
    }
    totalUsd += item.costUsd;
    const m = (byModel[item.model ?? '(server default)'] ??= { costUsd: 0, items: 0 });
    m.costUsd += item.costUsd;
    m.items++;
  }
  return { items, totalUsd, unpriced, complete: unpriced.length === 0, audioMs, characters, byModel, notes: [...notes] };
}
