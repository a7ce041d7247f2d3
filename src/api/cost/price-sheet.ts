/**
 * A model's prices in one normalised shape, read from what the catalog publishes (`GET /models/{id}/pricing`,
 * a `Model`'s `tokenlab.pricing`, or a compact list entry). TokenLab does not document audio pricing units, so
 * the sheet keeps the unit as published and says so when it cannot read it; it never invents a price.
 */
import type { CompactModel, Model, ModelPricing } from '../models.js';

/** How the catalog says a model is billed. `unknown` keeps the unit string it could not read. */
export type PricingUnit = 'tokens' | 'characters' | 'minutes' | 'seconds' | 'requests' | 'unknown';

/** A model's prices (USD). Every price is optional: only what the catalog published is set. */
export interface PriceSheet {
  readonly model: string;
  readonly unit: PricingUnit;
  /** The unit as the catalog wrote it (`per_1m_tokens`, `per_minute`, …). */
  readonly unitLabel: string;
  /** Tokens or characters: USD per 1 M input units. */
  readonly inputPer1mUsd?: number | undefined;
  /** USD per 1 M output tokens. */
  readonly outputPer1mUsd?: number | undefined;
  /** USD per 1 M input audio tokens when priced apart from text (realtime, audio models). */
  readonly inputAudioPer1mUsd?: number | undefined;
  /** USD per 1 M output audio tokens when priced apart from text. */
  readonly outputAudioPer1mUsd?: number | undefined;
  /** USD per 1 M cached input tokens, when published. */
  readonly cachedInputPer1mUsd?: number | undefined;
  /** USD per minute of audio (unit `minutes`), or per second (unit `seconds`). */
  readonly perDurationUsd?: number | undefined;
  /** USD per request (unit `requests`, or a lock price). */
  readonly perRequestUsd?: number | undefined;
  /** Prices exist but follow rules this sheet does not model (the catalog's `has_complex_pricing`). */
  readonly complex: boolean;
}

type Dict = Record<string, unknown>;
function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A non-negative number from a decimal string or number; undefined for anything else. */
function price(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function first(sources: readonly Dict[], keys: readonly string[]): number | undefined {
  for (const s of sources) for (const k of keys) {
    const p = price(s[k]);
    if (p !== undefined) return p;
  }
  return undefined;
}

function unitOf(label: string): PricingUnit {
  const l = label.toLowerCase();
  if (/token/.test(l)) return 'tokens';
  if (/char/.test(l)) return 'characters';
  if (/minute|per_min\b/.test(l)) return 'minutes';
  if (/second/.test(l)) return 'seconds';
  if (/request|call/.test(l)) return 'requests';
  return 'unknown';
}

/**
 * Reads a {@link PriceSheet} from a catalog answer: the pricing route's body, a full `Model` or a compact entry.
 * Field names read (decimal strings or numbers): `input_per_1m(_tokens)`, `output_per_1m(_tokens)`,
 * `input_audio_per_1m`, `output_audio_per_1m`, `cached_input_per_1m`, `per_minute` / `per_second`,
 * `per_request` / `lock_price_per_request`. With unit `per_minute` and only `per_request` set, that price is
 * taken per minute (the unit says what the price is for).
 */
export function priceSheetOf(model: string, source: ModelPricing | Model | CompactModel | Dict): PriceSheet {
  const s = source as Dict;
  const tl = isDict(s.tokenlab) ? s.tokenlab : undefined;
  const sources: Dict[] = [];
  for (const c of [s.scalar_pricing, s.pricing_details, s.pricing_summary, s.pricing, tl?.pricing, tl?.pricing_summary]) if (isDict(c)) sources.push(c);
  sources.push(s);
  let unitLabel = '';
  for (const c of [s.pricing_unit, tl?.pricing_unit, ...sources.map((x) => x.unit)]) {
    if (typeof c === 'string' && c !== '') {
      unitLabel = c;
      break;
    }
  }
  const complex = s.has_complex_pricing === true || tl?.has_complex_pricing === true || sources.some((x) => x.has_complex_pricing === true);
  const unit = unitOf(unitLabel);
  const perRequest = first(sources, ['per_request', 'lock_price_per_request', 'price_per_request']);
  const perDuration = unit === 'minutes' ? (first(sources, ['per_minute', 'price_per_minute']) ?? perRequest) : unit === 'seconds' ? (first(sources, ['per_second', 'price_per_second']) ?? perRequest) : undefined;
  return {
    model,
    unit,
    unitLabel: unitLabel || '(none published)',
    inputPer1mUsd: first(sources, ['input_per_1m', 'input_per_1m_tokens', 'input_per_1m_characters']),
    outputPer1mUsd: first(sources, ['output_per_1m', 'output_per_1m_tokens']),
    inputAudioPer1mUsd: first(sources, ['input_audio_per_1m', 'audio_input_per_1m', 'input_audio_per_1m_tokens']),
    outputAudioPer1mUsd: first(sources, ['output_audio_per_1m', 'audio_output_per_1m', 'output_audio_per_1m_tokens']),
    cachedInputPer1mUsd: first(sources, ['cached_input_per_1m', 'cache_read_per_1m', 'cached_input_per_1m_tokens']),
    perDurationUsd: perDuration,
    perRequestUsd: unit === 'minutes' || unit === 'seconds' ? undefined : perRequest,
    complex,
  };
}
