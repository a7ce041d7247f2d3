import { describe, expect, it } from 'vitest';
import { assertNoSecrets, findSecret } from '../../src/api/secret-guard.js';
import { InputError } from '../../src/core/errors.js';

const OWN = 'tl_live_7f3a9c2e1b4d5f6a8c9e0b1d';

describe('secret guard', () => {
  const secrets: [string, string, RegExp][] = [
    ['own key', `Please read ${OWN} aloud`, /own API key/],
    ['sk key', 'my key is sk-proj-Abc123def456GHI789jkl012 thanks', /sk-/],
    ['bearer', 'curl -H "Authorization: Bearer abcDEF1234567890xyz.tok"', /bearer token/],
    ['jwt', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c here', /JWT/],
    ['url creds', 'connect to postgres://admin:hunter2@db.example.com/prod', /user name and password/],
    ['url token', 'open https://example.com/reset?user=7&token=abcdef123456 now', /"token" parameter/],
    ['presigned', 'https://bucket.s3.amazonaws.com/a.mp3?X-Amz-Signature=deadbeef&X-Amz-Expires=60', /X-Amz-Signature/],
    ['sig', 'https://cdn.example.com/v.mp4?sig=abc123&exp=1', /"sig" parameter/],
    ['password param', 'http://router.local/login?password=letmein', /"password" parameter/],
    ['github', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', /GitHub/],
    ['aws', 'AKIAIOSFODNN7EXAMPLE is the id', /AWS/],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', /private key/],
    ['hugging face', 'use hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 for the download', /Hugging Face/],
    ['gitlab', 'clone with glpat-AbCdEf0123456789AbCd please', /GitLab/],
    ['npm', 'NPM token npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 expires soon', /npm/],
    ['env line', 'my .env has DATABASE_PASSWORD=Tr0ub4dor3xyzzy and more', /credential assignment/],
    ['url key', 'https://maps.example.com/api/js?key=q8ZrT2mK9vXw4LpN1sYb', /"key" parameter/],
  ];
  for (const [name, text, kind] of secrets) {
    it(`finds ${name}`, () => {
      const found = findSecret(text, OWN);
      expect(found?.kind).toMatch(kind);
      expect(() => assertNoSecrets(text, { field: 'input', ownKey: OWN })).toThrow(InputError);
    });
  }

  it('never puts the secret itself in the message', () => {
    for (const [, text] of secrets) {
      try {
        assertNoSecrets(text, { field: 'input', ownKey: OWN });
      } catch (e) {
        const msg = (e as Error).message;
        expect(msg).not.toContain(OWN);
        expect(msg).not.toContain('Abc123def456GHI789jkl012');
        expect(msg).not.toContain('hunter2');
        expect(msg).not.toContain('abcdef123456');
        expect(msg).toMatch(/allowSecrets/);
        expect((e as InputError).code).toBe('TLA_ERR_INPUT_SECRET');
      }
    }
  });

  it('lets ordinary text through', () => {
    const ordinary = [
      'Ask your dentist about the task-management app; the skeleton key to success is practice.',
      'The bearer of good news arrived. Token economies and signature dishes are fine topics.',
      'Visit https://example.com/page?id=5&lang=en&sort=desc or https://docs.tokenlab.sh/api.',
      'Risk-free sk-8 skating, pk-12 school, sk-learn is a library. Password: use a manager.',
      'Email me at someone@example.com; the meeting key points are on page 3.',
      'An eyJ-looking word like eyJust.eyJokes is not a token.',
      'Keyboard shortcuts: press key=Enter to continue.',
      'Search https://example.com/search?key=piano+chords or https://example.com/?key=1 for songs.',
      'Read https://example.com/docs?auth=oauth2 for the login flow.',
      'Set API_TOKEN: to your own value; PASSWORD = something memorable.',
    ];
    for (const text of ordinary) expect(findSecret(text, OWN), text).toBeUndefined();
  });

  it('allowSecrets lets it through', () => {
    expect(() => assertNoSecrets(`say ${OWN}`, { field: 'input', ownKey: OWN, allowSecrets: true })).not.toThrow();
  });
});
