/**
 * The error family shared by every layer. Each error has a stable string `code` (`TLA_ERR_…`) for
 * programs, and a message for people that says what was wrong and what to do.
 *
 * `instanceof` works across two installed copies of the package (a bot and its plugin may each
 * bring one): every class answers `instanceof` through a `Symbol.for` brand instead of the prototype chain.
 */

import type { ErrorCode } from './error-codes.js';

const BRAND = Symbol.for('tokenlab-audio.error');

function brandOf(kind: string): symbol {
  return Symbol.for(`tokenlab-audio.error.${kind}`);
}

/** Base class of every error thrown or emitted by tokenlab-audio. */
export class TokenLabAudioError extends Error {
  /** Stable machine-readable code, e.g. `TLA_ERR_INPUT`. */
  readonly code: ErrorCode;

  /** @param code defaults to the class's `defaultCode`. */
  constructor(message: string, code?: ErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code ?? (new.target as unknown as { defaultCode: ErrorCode }).defaultCode;
    // Tag the instance with the brand of its own class and of each ancestor, so checks by brand hold
    // however many copies of the package are loaded.
    for (let proto = Object.getPrototypeOf(this); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
      const ctor = proto.constructor as { brandName?: string } | undefined;
      if (ctor?.brandName) (this as unknown as Record<symbol, boolean>)[brandOf(ctor.brandName)] = true;
    }
    (this as unknown as Record<symbol, boolean>)[BRAND] = true;
  }

  /** Name used for the cross-copy brand; subclasses override it with their own class name. */
  static brandName = 'TokenLabAudioError';

  /**
   * The `code` of an instance built without one. A subclass that only stands for one code declares it here and
   * needs no constructor of its own (one copy of "this class means that code" for every error family).
   */
  static defaultCode: ErrorCode = 'TLA_ERR';

  static override [Symbol.hasInstance](instance: unknown): boolean {
    if (instance === null || typeof instance !== 'object') return false;
    return (instance as Record<symbol, unknown>)[brandOf(this.brandName)] === true;
  }
}

/** A caller passed something unusable: wrong option, bad argument, secret in speech input, … */
export class InputError extends TokenLabAudioError {
  static override brandName = 'InputError';
  static override defaultCode: ErrorCode = 'TLA_ERR_INPUT';
}

/** Audio bytes or a declared audio format are not what they claim to be (or not supported). */
export class FormatError extends TokenLabAudioError {
  static override brandName = 'FormatError';
  static override defaultCode: ErrorCode = 'TLA_ERR_FORMAT';
}

/**
 * What a call or stream of ours fails with when its `signal` aborts: `name` `AbortError` and `code`
 * `ABORT_ERR` like Node's own APIs, `cause` = the signal's reason.
 */
export class AbortError extends TokenLabAudioError {
  static override brandName = 'AbortError';
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super(message, 'ABORT_ERR', options);
  }
}

/** The {@link AbortError} for `signal` (its reason becomes the `cause`); `what` names what was aborted. */
export function abortError(signal: AbortSignal, what = 'The operation'): AbortError {
  return new AbortError(`${what} was aborted.`, { cause: signal.reason });
}
