import { TokenLabAudioError } from '../../core/errors.js';

/**
 * A long job stopped before every piece was transcribed (a failed request, a budget cap, a 402). What finished
 * is saved in `workDir`: running the same job again requests only the pieces that are missing.
 */
export class LongTranscriptionError extends TokenLabAudioError {
  static override brandName = 'LongTranscriptionError';
  readonly workDir: string;
  readonly piecesDone: number;
  /** Undefined when the source was not cut to the end. */
  readonly piecesTotal: number | undefined;
  /** Request ids of the pieces that finished. */
  readonly requestIds: readonly string[];

  constructor(init: { cause: unknown; workDir: string; piecesDone: number; piecesTotal: number | undefined; requestIds: readonly string[] }) {
    const reason = init.cause instanceof Error ? init.cause.message : String(init.cause);
    super(
      `Long transcription stopped after ${init.piecesDone}${init.piecesTotal !== undefined ? ` of ${init.piecesTotal}` : ''} pieces: ${reason} ` +
        `Finished pieces are saved in ${init.workDir}; run the same command again to resume (only missing pieces are requested).`,
      'TLA_ERR_LONG_INCOMPLETE',
      { cause: init.cause },
    );
    this.workDir = init.workDir;
    this.piecesDone = init.piecesDone;
    this.piecesTotal = init.piecesTotal;
    this.requestIds = init.requestIds;
  }
}
