/**
 * Refuses speech input that carries credentials or private URLs: text sent to a TTS model is stored by providers and
 * read aloud, so a key pasted into it leaks twice. Kinds: API keys and tokens of common services, JWTs, private key
 * blocks, credential assignments in any case, bearer and Basic credentials, URLs with credentials in them (user:password,
 * token parameters, Discord/Slack/Teams webhooks), private and internal URLs (localhost, RFC 1918, `.internal`, one-label
 * hosts) and payment card numbers (issuer prefix, length and Luhn). Ordinary text (public URLs, bare IP addresses in
 * prose, UUIDs, hashes, order and phone numbers) passes: the corpus test in test/api/secret-guard.test.ts keeps it so. The guard names the kind of secret and where it starts, never the secret.
 */
import { InputError } from '../../core/errors.js';

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

/** A Discord bot token's first part is the bot's user id (a 17-20 digit snowflake) in base64. */
const isDiscordToken = (m: string): boolean => /^\d{17,20}$/.test(Buffer.from(m.slice(0, m.indexOf('.')), 'base64url').toString('latin1'));

/** `Basic …` carries base64 of `user:password`: only a value that decodes to printable text with a colon counts. */
const isBasicCredential = (m: string): boolean => {
  const decoded = Buffer.from(m.replace(/^.*basic\s+/i, ''), 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded);
};

/** Payment card numbers: a known issuer prefix, a length that issuer uses, and a valid Luhn check digit. */
const isCardNumber = (m: string): boolean => {
  const d = m.replace(/[ -]/g, '');
  const n = d.length;
  const issuer =
    (/^4/.test(d) && (n === 13 || n === 16 || n === 19)) ||
    (/^(?:5[1-5]|2[2-7])/.test(d) && n === 16) ||
    (/^3[47]/.test(d) && n === 15) ||
    (/^(?:6011|65|64[4-9]|62|35)/.test(d) && n >= 16) ||
    (/^3(?:0[0-5]|[689])/.test(d) && n >= 14);
  if (!issuer || /^(\d)\1+$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let v = d.charCodeAt(n - 1 - i) - 48;
    if (i % 2 === 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return sum % 10 === 0;
};

// Names that hold credentials in config files, any case, as whole words (`aws_secret_access_key`, `db.password`,
// `client-secret`), so `secretary`, `tokens` or `author` stay ordinary words.
const CREDENTIAL_NAME = String.raw`(?:[A-Za-z0-9]+[_.-])*(?:api[_.-]?key|apikey|access[_.-]?key(?:[_.-]id)?|secret(?:[_.-]access)?[_.-]?key|private[_.-]?key|client[_.-]?secret|secret|token|password|passwd)`;

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
  { kind: 'Discord bot token', pattern: /(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])/, accept: isDiscordToken },
  // Whoever has a webhook URL can post as the bot: the URL is the credential.
  { kind: 'Discord webhook URL', pattern: /\bhttps?:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api(?:\/v\d+)?\/webhooks\/\d{15,22}\/[A-Za-z0-9_-]{30,}/i },
  { kind: 'Slack webhook URL', pattern: /\bhttps?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/i },
  { kind: 'Microsoft Teams webhook URL', pattern: /\bhttps?:\/\/[a-z0-9-]+\.webhook\.office\.com\/webhookb2\/[A-Za-z0-9@/_-]{30,}/i },
  {
    // A pasted .env line: `OPENAI_API_KEY=…`, `DB_PASSWORD: …`, whatever the token looks like.
    kind: 'credential assignment',
    pattern: /\b[A-Z0-9_]*(?:API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD)[A-Z0-9_]*\s*[=:]\s*["']?[A-Za-z0-9._~+/=-]{12,}/,
    accept: (m) => hasDigitAndLetter(m.replace(/^[^=:]*[=:]\s*["']?/, '')),
  },
  {
    // The same in config-file case: `aws_secret_access_key = wJalr…`, `password: hunter2x9`.
    kind: 'credential assignment',
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_.-])${CREDENTIAL_NAME}["']?\s*[=:]\s*["']?[A-Za-z0-9._~+/=!@#$%^&*-]{8,}`, 'i'),
    accept: (m) => hasDigitAndLetter(m.replace(/^[^=:]*[=:]\s*["']?/, '')),
  },
  {
    kind: 'bearer token',
    pattern: /\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*/i,
    accept: (m) => hasDigitAndLetter(m.replace(/^bearer\s+/i, '')),
  },
  { kind: 'HTTP Basic credential', pattern: /\bbasic\s+[A-Za-z0-9+/]{6,}={0,2}(?![A-Za-z0-9+/=])/i, accept: isBasicCredential },
  { kind: 'user name and password (-u user:password)', pattern: /(?:^|\s)(?:-u|--user)\s+["']?[^\s:"']+:[^\s"']{4,}/ },
  { kind: 'URL with a user name and password', pattern: /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s/@:?#]+:[^\s/@?#]+@[^\s]/i },
  {
    // Grouped 4-4-4-4(-3), Amex 4-6-5, or one run of 13-19 digits; never part of a longer number, a phone number (+…) or an id.
    kind: 'payment card number',
    pattern: /(?<![\w+.,/#-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?|\d{4}([ -]?)\d{6}\2\d{4,5})(?![\w/-]|[.,]\d)/,
    accept: isCardNumber,
  },
  {
    // A private address with a port or a path (`localhost:3000`, `10.0.0.5:5432`, `192.168.1.20/admin`) without a scheme;
    // a bare address in prose ("the router is 192.168.1.1") is not a URL and passes.
    kind: 'private or internal URL',
    pattern: /(?<![\w.-])(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3})(?::\d{2,5}\b|\/(?!\d{1,3}\b)[A-Za-z0-9_~-])/i,
  },
];

/** Host names and addresses that only mean something inside one network or machine. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (host.includes(':')) return host === '::1' || host === '::' || /^f[cd][0-9a-f]{0,2}:/.test(host) || /^fe[89ab][0-9a-f]?:/.test(host) || host.startsWith('::ffff:127.') || host.startsWith('::ffff:10.') || host.startsWith('::ffff:192.168.');
  // One label (`http://jenkins:8080/`) or a suffix reserved for private networks.
  return !host.includes('.') || /\.(?:local|internal|intranet|corp|lan|home\.arpa|localdomain|private)$/.test(host);
}

const URL_PATTERN = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s<>"']+/gi;
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
    else if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && isPrivateHost(url.hostname)) {
      consider(`private or internal URL (${url.hostname})`, m.index ?? 0);
    }
  }
  return best;
}

/** `a `, `an ` (by sound: "an API key", "a URL"), or nothing before "this …". */
function articleFor(kind: string): string {
  if (/^this\b/.test(kind)) return '';
  return /^(?:[aeio]|HTTP\b|npm\b)/i.test(kind) ? 'an ' : 'a ';
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
    `Speech ${options.field} contains what looks like ${articleFor(found.kind)}${found.kind} (at character ${found.index}). It would be sent to the speech ` +
      'provider and read aloud. Remove it, or pass allowSecrets: true if it is not a real credential.',
    'TLA_ERR_INPUT_SECRET',
  );
}

/** Checks every text field of a speech request that is read aloud or steers the voice (`input`, `instructions`, `prompt`). */
export function assertSpeechTextHasNoSecrets(
  body: { readonly input: string; readonly instructions?: string | undefined; readonly prompt?: string | undefined },
  options: { ownKey?: string | undefined; allowSecrets: boolean },
): void {
  for (const field of ['input', 'instructions', 'prompt'] as const) {
    const text = body[field];
    if (typeof text === 'string') assertNoSecrets(text, { field, ownKey: options.ownKey, allowSecrets: options.allowSecrets });
  }
}
