/**
 * Refuses speech input that carries credentials: text sent to a TTS model is stored by providers and read aloud,
 * so a key pasted into it leaks twice. The guard names the kind of secret and where it starts, never the secret.
 */
import { InputError } from '../core/errors.js';

/** A secret found in text: its kind (for people) and its start offset in UTF-16 units. */
export interface FoundSecret {
  readonly kind: string;
  readonly index: number;
}

interface Detector {
  readonly kind: string;
  readonly pattern: RegExp;
  /** Extra check on the match, to keep ordinary words out. */
  readonly accept?: (match: string) => boolean;
}

const hasDigitAndLetter = (s: string) => /\d/.test(s) && /[A-Za-z]/.test(s);

const DETECTORS: readonly Detector[] = [
  { kind: 'private key block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { kind: 'JSON Web Token (JWT)', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  {
    kind: 'API key (sk-… style)',
    pattern: /(?<![A-Za-z0-9])(?:sk|rk|pk)[-_](?:[a-z]{2,8}[-_])?[A-Za-z0-9_-]{20,}/,
    accept: (m) => hasDigitAndLetter(m.slice(3)),
  },
  { kind: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/ },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  { kind: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'Hugging Face token', pattern: /\bhf_[A-Za-z0-9]{30,}/ },
  { kind: 'GitLab token', pattern: /\bgl(?:pat|ptt|dt|rt)-[A-Za-z0-9_-]{20,}/ },
  { kind: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  {
    // A pasted .env line: `OPENAI_API_KEY=…`, `DB_PASSWORD: …`, whatever the token looks like.
    kind: 'credential assignment',
    pattern: /\b[A-Z0-9_]*(?:API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD)[A-Z0-9_]*\s*[=:]\s*["']?[A-Za-z0-9._~+/=-]{12,}/,
    accept: (m) => hasDigitAndLetter(m.replace(/^[^=:]*[=:]\s*["']?/, '')),
  },
  {
    kind: 'bearer token',
    pattern: /\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*/i,
    accept: (m) => hasDigitAndLetter(m.replace(/^bearer\s+/i, '')),
  },
  { kind: 'URL with a user name and password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:?#]+:[^\s/@?#]+@[^\s]/i },
];

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+/gi;
// Names that ordinary URLs use for non-secrets too (`?key=C`, `?auth=oauth2`): flagged only when the value looks like a token.
const AMBIGUOUS_PARAMS = /^(?:key|auth)$/i;
const looksLikeToken = (v: string) => !/\s/.test(v) && ((v.length >= 8 && hasDigitAndLetter(v)) || v.length >= 20);
const SECRET_PARAMS = /^(?:access[_-]?token|refresh[_-]?token|id[_-]?token|token|auth[_-]?token|api[_-]?key|apikey|key|secret|client[_-]?secret|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|password|passwd|pwd|auth|session[_-]?id)$/i;

/**
 * The first secret-looking thing in `text`, or undefined.
 * @param ownKey the client's own API key: found anywhere, in any context.
 */
export function findSecret(text: string, ownKey?: string): FoundSecret | undefined {
  let best: FoundSecret | undefined;
  const consider = (kind: string, index: number) => {
    if (!best || index < best.index) best = { kind, index };
  };
  if (ownKey && ownKey.length >= 8) {
    const at = text.indexOf(ownKey);
    if (at !== -1) consider("this client's own API key", at);
  }
  for (const d of DETECTORS) {
    const re = new RegExp(d.pattern.source, d.pattern.flags.includes('g') ? d.pattern.flags : `${d.pattern.flags}g`);
    for (const m of text.matchAll(re)) {
      if (!d.accept || d.accept(m[0])) {
        consider(d.kind, m.index ?? 0);
        break;
      }
    }
  }
  for (const m of text.matchAll(URL_PATTERN)) {
    const raw = m[0].replace(/[).,;:!?'"\]]+$/, '');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    const params = [...url.searchParams.entries(), ...new URLSearchParams(url.hash.slice(1)).entries()];
    const hit = params.find(([k, v]) => v.length > 0 && SECRET_PARAMS.test(k) && (!AMBIGUOUS_PARAMS.test(k) || looksLikeToken(v)));
    if (hit) consider(`URL with a "${hit[0]}" parameter`, m.index ?? 0);
  }
  return best;
}

/**
 * Throws when `text` contains a secret, unless `allowSecrets`.
 * @param field names the field in the message (`input`, `instructions`).
 * @throws InputError (`TLA_ERR_INPUT_SECRET`) naming the kind of secret and its position, never the secret itself.
 */
export function assertNoSecrets(text: string, options: { field: string; ownKey?: string | undefined; allowSecrets?: boolean | undefined }): void {
  if (options.allowSecrets) return;
  const found = findSecret(text, options.ownKey);
  if (!found) return;
  throw new InputError(
    `Speech ${options.field} contains what looks like a ${found.kind} (at character ${found.index}). It would be sent to the speech ` +
      'provider and read aloud. Remove it, or pass allowSecrets: true if it is not a real credential.',
    'TLA_ERR_INPUT_SECRET',
  );
}
