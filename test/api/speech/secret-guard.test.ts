import { describe, expect, it } from 'vitest';
import { assertNoSecrets, findSecret } from '../../../src/api/speech/secret-guard.js';
import { InputError } from '../../../src/core/errors.js';

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
    ['localhost URL', 'The admin panel is at http://localhost:3000/admin, log in there.', /private or internal URL \(localhost\)/],
    ['RFC 1918 URL', 'Fetch the report from https://10.20.30.40/reports/q3.pdf today.', /private or internal URL \(10\.20\.30\.40\)/],
    ['192.168 URL', 'Camera feed: http://192.168.1.64/stream', /private or internal URL/],
    ['172.16 URL', 'grafana lives on http://172.20.0.3:3000/d/abc', /private or internal URL/],
    ['IPv6 loopback URL', 'try http://[::1]:8080/health', /private or internal URL/],
    ['internal host name', 'Deploy logs are on https://jenkins.corp/job/deploy/42/console', /private or internal URL \(jenkins\.corp\)/],
    ['.internal host', 'see https://billing.internal/api/v2/invoices', /private or internal URL/],
    ['one-label host', 'open http://wiki/Onboarding for the checklist', /private or internal URL \(wiki\)/],
    ['host:port without scheme', 'the database answers on 10.0.0.5:5432 for now', /private or internal URL/],
    ['localhost:port without scheme', 'run it and browse localhost:8080/setup', /private or internal URL/],
    ['Discord webhook', 'post to https://discord.com/api/webhooks/123456789012345678/Abc_dEf-GhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01234', /Discord webhook URL/],
    ['Slack webhook', 'alerts go to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', /Slack webhook URL/],
    ['Discord bot token', `client.login('${Buffer.from('123456789012345678').toString('base64url')}.GaB3xY.abcdEFGHijklMNOPqrstUVWXyz0123456789ab')`, /Discord bot token/],
    ['lower-case aws secret', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', /credential assignment/],
    ['lower-case password', 'db.password: hunter2horse9 in the yaml', /credential assignment/],
    ['lower-case api key', 'set openai_api_key="s3cr3tValue9876" in config', /credential assignment/],
    ['Authorization Basic', 'Authorization: Basic YWxpY2U6czNjcmV0UGFzcw==', /HTTP Basic credential/],
    ['curl -u', 'curl -u alice:s3cretPass https://api.example.com/', /-u user:password/],
    ['Visa card', 'My card is 4111 1111 1111 1111, expiry 12/29.', /payment card number/],
    ['Mastercard', 'charge 5555555555554444 please', /payment card number/],
    ['Amex', 'amex 3782-822463-10005 on file', /payment card number/],
    ['Discover', 'the number 6011-1111-1111-1117 was declined', /payment card number/],
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
        expect(msg).not.toContain('4111 1111');
        expect(msg).not.toContain('wJalrXUtnFEMI');
        expect(msg).not.toMatch(/\ba (?:[aeio]|HTTP)/i);
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

  it('raises no false alarm on a corpus of ordinary sentences', () => {
    const corpus = [
      // Public URLs, docs, webhooks described rather than given
      'Read the guide at https://docs.tokenlab.sh/audio/speech and the blog at https://tokenlab.sh/blog/2024/05/launch.',
      'Discord explains webhooks at https://discord.com/developers/docs/resources/webhook; Slack at https://api.slack.com/messaging/webhooks.',
      'Our status page is https://status.example.com and the repo is https://github.com/example/project/pull/1234.',
      'Watch https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s for the demo.',
      'The map link is https://maps.google.com/?q=52.5200,13.4050 near the station.',
      // IP addresses and host words in prose
      'Set the DNS server to 8.8.8.8 or 1.1.1.1, and the router usually sits at 192.168.1.1.',
      'Private ranges such as 10.0.0.0/8 and 172.16.0.0/12 are defined in RFC 1918.',
      'The service runs on localhost during development, and the staging box is called "atlas".',
      'Version 10.2.3 fixed it; upgrade from 4.18.2 to 4.19.0 when you can.',
      'The ratio was 3:2 at 10:30, and the score ended 192 to 168.',
      // UUIDs, hashes, ids
      'Request 123e4567-e89b-12d3-a456-426614174000 failed; retry with request id req_8f14e45fceea167a5a36dedd4bea2543.',
      'Commit 3f786850e387550fdab836ed7e6dc881de23001b is on main; the short sha is 3f78685.',
      'The SHA-256 is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.',
      'File checksum md5 d41d8cd98f00b204e9800998ecf8427e matches.',
      // Order, invoice, tracking and phone numbers
      'Your order #112-3456789-1234567 ships today; invoice INV-2024-000123 is attached.',
      'Order number 58213, tracking 1Z999AA10123456784, customer 4471239.',
      'Call +1 (415) 555-0134 or +44 20 7946 0958, or 0049 30 12345678 in Germany.',
      'Reach support at +49 1512 3456789 or 415-555-0199 between 9 and 5.',
      'The account number is 12345678 and the sort code 12-34-56.',
      'Timestamps like 1717171717171 and 20240601123045 appear in the log.',
      'Shipment 9400 1000 0000 0000 0000 00 is out for delivery.',
      'ISBN 978-3-16-148410-0 and ISSN 0317-8471 are in the footer.',
      // Words that name secrets without being one
      'The secretary: Jane Doe will call you back about the token economy.',
      'Password: use a manager. The secret: practice every day.',
      'Authorization is basic hygiene; basic training starts Monday.',
      'The author: Mary Shelley wrote it in 1818.',
      'Press the key: Enter, then type your username.',
      'Tokens: 4096 max per request, and the api key field stays empty in the sample.',
      'Our basic plan costs 9 dollars; the premium plan, 19.',
      'Use curl -u to pass a user name, as the manual says.',
      'Dotted words like first.second.third and e.g. i.e. are fine, as is config.yaml.',
      'Prices: $1,234.56, 1.234,56 EUR, and 12 345 678 people live there.',
      'Coordinates 40.7128, -74.0060 and the date 2024-06-01T12:00:00Z.',
      'The meeting is in room 4111 on floor 11, extension 1111.',
    ];
    for (const text of corpus) expect(findSecret(text, OWN), text).toBeUndefined();
  });

  it('a Luhn-invalid or issuer-less 16-digit number is not a card', () => {
    expect(findSecret('ref 4111 1111 1111 1112', OWN)).toBeUndefined();
    expect(findSecret('ref 9111111111111111', OWN)).toBeUndefined();
  });

  it('uses "an" before a vowel (no "a API key")', () => {
    expect(() => assertNoSecrets('key sk-proj-Abc123def456GHI789jkl012', { field: 'input' })).toThrow(/looks like an API key/);
  });

  it('allowSecrets lets it through', () => {
    expect(() => assertNoSecrets(`say ${OWN}`, { field: 'input', ownKey: OWN, allowSecrets: true })).not.toThrow();
  });
});
