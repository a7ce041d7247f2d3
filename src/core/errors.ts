/**
 * The error family shared by every layer. Each error has a stable string `code` (`TLA_ERR_…`) for
 * programs, and a message for people that says what was wrong and what to do.
 *
 * `instanceof` works across two installed copies of the package (a bot and its plugin may each
 * bring one): every class answers `instanceof` through a `Symbol.for` brand instead of the prototype chain.
 */

const BRAND = Symbol.for('tokenlab-audio.error');

function brandOf(kind: string): symbol {
  return Symbol.for(`tokenlab-audio.error.${kind}`);
}

/** Base class of every error thrown or emitted by tokenlab-audio. */
export class TokenLabAudioError extends Error {
  /** Stable machine-readable code, e.g. `TLA_ERR_INPUT`. */
  readonly code: string;

  constructor(message: string, code = 'TLA_ERR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
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

  static override [Symbol.hasInstance](instance: unknown): boolean {
    if (instance === null || typeof instance !== 'object') return false;
    return (instance as Record<symbol, unknown>)[brandOf(this.brandName)] === true;
  }
}

/** A caller passed something unusable: wrong option, bad argument, secret in speech input, … */
export class InputError extends TokenLabAudioError {
  static override brandName = 'InputError';
  constructor(message: string, code = 'TLA_ERR_INPUT', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** Audio bytes or a declared audio format are not what they claim to be (or not supported). */
export class FormatError extends TokenLabAudioError {
  static override brandName = 'FormatError';
  constructor(message: string, code = 'TLA_ERR_FORMAT', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}
