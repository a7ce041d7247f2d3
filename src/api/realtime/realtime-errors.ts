/**
 * Errors of realtime sessions. Failures of the upgrade itself (401, 402, 429, 5xx) are the HTTP client's
 * `ApiError` subclasses, with request ids; what happens on an open socket is one of these.
 */
import { InputError, TokenLabAudioError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';
import type { RealtimeErrorDetails } from './events.js';

/** Base class of errors on a realtime socket. */
export class RealtimeError extends TokenLabAudioError {
  static override brandName = 'RealtimeError';
  static override defaultCode: ErrorCode = 'TLA_ERR_REALTIME';
}

/** A client event that would be refused: wrong fields, a format the dialect cannot carry. Nothing was sent. */
export class RealtimeEventError extends InputError {
  static override brandName = 'RealtimeEventError';
  /** What is wrong, one entry per field. */
  readonly problems: readonly string[];
  constructor(type: string, problems: readonly string[]) {
    super(`Realtime event "${type}" was not sent: ${problems.join('; ')}.`, 'TLA_ERR_REALTIME_EVENT');
    this.problems = problems;
  }
}

/** The model cannot open a realtime session (per the catalog); `realtimeModels` names ones that can. */
export class RealtimeModelError extends InputError {
  static override brandName = 'RealtimeModelError';
  readonly model: string;
  readonly realtimeModels: readonly string[];
  constructor(model: string, reason: string, realtimeModels: readonly string[]) {
    const list = realtimeModels.length > 0 ? ` Realtime models in the catalog: ${realtimeModels.slice(0, 8).join(', ')}.` : ' The catalog lists no realtime model.';
    super(`${reason}${list}`, 'TLA_ERR_REALTIME_MODEL');
    this.model = model;
    this.realtimeModels = realtimeModels;
  }
}

/**
 * An `error` event from the server. The socket stays usable: these are reported (session `'error'` listeners),
 * never thrown, and never close the session.
 */
export class RealtimeServerError extends RealtimeError {
  static override brandName = 'RealtimeServerError';
  /** The server's `error` object (`type`, `code`, `message`, `param`, `event_id`). */
  readonly details: RealtimeErrorDetails;
  constructor(details: RealtimeErrorDetails) {
    super(`Realtime server error${details.code ? ` ${details.code}` : ''}: ${details.message}${details.event_id ? ` (caused by client event ${details.event_id})` : ''}`, 'TLA_ERR_REALTIME_SERVER_EVENT');
    this.details = details;
  }
}

/** Something on the socket was not the protocol: a frame that is not JSON, an event of unknown type, a malformed event. Not fatal. */
export class RealtimeProtocolError extends RealtimeError {
  static override brandName = 'RealtimeProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'TLA_ERR_REALTIME_PROTOCOL', options);
  }
}

/** The session is closed (or was never open): the event was not sent. `close` says how it ended. */
export class RealtimeClosedError extends RealtimeError {
  static override brandName = 'RealtimeClosedError';
  static override defaultCode: ErrorCode = 'TLA_ERR_REALTIME_CLOSED';
}

/** A bounded queue of the realtime path is full (pending creates, unsent audio under the 'block' policy with a full socket). */
export class RealtimeOverflowError extends RealtimeError {
  static override brandName = 'RealtimeOverflowError';
  static override defaultCode: ErrorCode = 'TLA_ERR_REALTIME_OVERFLOW';
}
