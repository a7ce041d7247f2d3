import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import type { Transcriptions, Translations } from '../../api/transcriptions.js';
import type { RequestOptions } from '../../api/request-options.js';
import type { CostMeter } from '../../api/cost/cost-meter.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import { type TimedText, type TranscriptionPieceResult, type TranscriptionPieceUnit, pieceToSourceMs } from './piece-unit.js';

/** The part of a `TokenLab` client a piece needs. */
export interface PieceClient {
  readonly audio: { readonly transcriptions: Transcriptions; readonly translations: Translations };
}

/** Options of {@link transcribePiece}. */
export interface TranscribePieceOptions extends RequestOptions {
  /** Prices the request and keeps the budget cap (the reservation is made before anything is sent). */
  readonly meter?: CostMeter | undefined;
  /** Cost scope (the job) for the meter's records. */
  readonly scope?: string | undefined;
}

/** A piece's result, and whether it was read back from `resultPath` instead of requested. */
export type TranscribePieceOutcome = TranscriptionPieceResult & { readonly reused: boolean };

/**
 * Transcribes (or translates) one piece of a long job. Idempotent: when `unit.resultPath` holds a valid result
 * for the same job and piece, it is returned (`reused: true`) and nothing is requested; otherwise one request is
 * made, its times mapped into the source's time, and the result saved atomically at `unit.resultPath` before
 * this resolves. Safe to call from a queue worker on another machine, given the unit's audio file.
 * @throws InputError (`TLA_ERR_LONG_PIECE`) when the piece's audio is missing or not the recorded size;
 *   BudgetExceededError before sending when the meter's cap would be passed; the client's errors from the call.
 */
export async function transcribePiece(client: PieceClient, unit: TranscriptionPieceUnit, options: TranscribePieceOptions = {}): Promise<TranscribePieceOutcome> {
  checkUnit(unit);
  if (unit.resultPath) {
    const saved = await readPieceResult(unit.resultPath, unit);
    if (saved) return { ...saved, reused: true };
  }
  const info = await stat(unit.audioPath).catch(() => undefined);
  if (!info?.isFile() || info.size !== unit.audioByteLength) {
    throw new InputError(
      `${unit.label}: its audio ${unit.audioPath} is ${info ? `${info.size} bytes, not the ${unit.audioByteLength} recorded` : 'missing'}. Run the job again to cut the piece anew.`,
      'TLA_ERR_LONG_PIECE',
    );
  }
  const { meter, scope, ...request } = options;
  const reservation = meter ? meter.reserve(await meter.expectTranscription(unit.request.model, unit.durationMs), unit.label, scope) : undefined;
  let answer: unknown;
  try {
    const r = unit.request;
    const common = {
      file: unit.audioPath,
      filename: unit.filename,
      model: r.model,
      responseFormat: r.responseFormat,
      ...(r.prompt !== undefined ? { prompt: r.prompt } : {}),
      ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
      ...request,
    };
    answer =
      unit.task === 'translate'
        ? await client.audio.translations.create(common)
        : await client.audio.transcriptions.create({
            ...common,
            ...(r.language !== undefined ? { language: r.language } : {}),
            ...(r.timestampGranularities?.length && r.responseFormat === 'verbose_json' ? { timestampGranularities: r.timestampGranularities } : {}),
          });
  } catch (e) {
    reservation?.cancel();
    throw e;
  }
  const requestId = (answer as { requestId?: string }).requestId;
  const cost = reservation?.settle({ answer, requestId });
  const result = pieceResultOf(unit, answer, requestId, cost?.costUsd);
  if (unit.resultPath) await writeFileAtomic(unit.resultPath, `${JSON.stringify(result)}\n`, options.signal);
  return { ...result, reused: false };
}

function checkUnit(unit: TranscriptionPieceUnit): void {
  if (unit === null || typeof unit !== 'object' || unit.kind !== 'tokenlab-audio/transcription-piece' || unit.version !== 1) {
    throw new InputError('transcribePiece needs a unit made by a long transcription job (kind "tokenlab-audio/transcription-piece", version 1).', 'TLA_ERR_LONG_PIECE');
  }
}

/** Reads a saved piece result; undefined when absent, unreadable or of another job or piece. */
export async function readPieceResult(resultPath: string, unit: Pick<TranscriptionPieceUnit, 'jobKey' | 'index'>): Promise<TranscriptionPieceResult | undefined> {
  let text: string;
  try {
    text = await readFile(resultPath, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as TranscriptionPieceResult;
    return r.kind === 'tokenlab-audio/transcription-piece-result' && r.version === 1 && r.jobKey === unit.jobKey && r.index === unit.index ? r : undefined;
  } catch {
    return undefined;
  }
}

type Dict = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function pieceResultOf(unit: TranscriptionPieceUnit, answer: unknown, requestId: string | undefined, costUsd: number | undefined): TranscriptionPieceResult {
  const a = (answer !== null && typeof answer === 'object' ? answer : { text: String(answer ?? '') }) as Dict;
  const toSource = (seconds: number) => pieceToSourceMs(unit.spans, seconds * 1000);
  const timed = (list: unknown, textKey: 'text' | 'word'): TimedText[] => {
    const out: TimedText[] = [];
    if (!Array.isArray(list)) return out;
    for (const item of list as Dict[]) {
      const start = num(item?.start);
      const end = num(item?.end);
      const text = typeof item?.[textKey] === 'string' ? (item[textKey] as string).trim() : '';
      if (start === undefined || end === undefined || text === '') continue;
      out.push({ startMs: toSource(start), endMs: toSource(Math.max(start, end)), text });
    }
    return out;
  };
  const words = timed(a.words, 'word');
  return {
    kind: 'tokenlab-audio/transcription-piece-result',
    version: 1,
    jobKey: unit.jobKey,
    index: unit.index,
    model: unit.request.model,
    requestId,
    text: typeof a.text === 'string' ? a.text.trim() : '',
    ...(typeof a.language === 'string' ? { language: a.language } : {}),
    segments: timed(a.segments, 'text'),
    ...(words.length > 0 ? { words } : {}),
    ...(a.usage !== undefined ? { usage: a.usage } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    durationMs: unit.durationMs,
    sourceStartMs: unit.sourceStartMs,
    sourceEndMs: unit.sourceEndMs,
    completedAt: new Date().toISOString(),
  };
}
