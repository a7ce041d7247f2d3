/**
 * Removes secrets from text meant for people (error messages, debug lines). The API key must never appear
 * in an error, a log or a stack: every line the transport emits passes through here.
 */

const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi;

/**
 * Replaces every occurrence of each secret (and any `Bearer <token>`) with a marker keeping only the last
 * four characters, which is enough to tell keys apart in a log and useless to an attacker.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    if (out.includes(secret)) out = out.split(secret).join(redactedMarker(secret));
  }
  return out.replace(BEARER, (_m, prefix: string) => `${prefix}[REDACTED]`);
}

/** `[REDACTED …abcd]` for a secret ending in `abcd`. */
export function redactedMarker(secret: string): string {
  return secret.length >= 12 ? `[REDACTED …${secret.slice(-4)}]` : '[REDACTED]';
}
