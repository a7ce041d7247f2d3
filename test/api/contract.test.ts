// The client's requests checked against TokenLab's OpenAPI document (not against the emulator).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import { startLoopback, type LoopbackServer } from '../transports/loopback-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(readFileSync(path.join(here, '..', '..', 'docs', 'spec', 'tokenlab-openapi.json'), 'utf8')) as {
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { enum?: string[] } }[] }>>;
};
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => {
  compile(schema: unknown): ((data: unknown) => boolean) & { errors?: unknown };
};
const ajv = new Ajv({ strict: false, allErrors: true });

let server: LoopbackServer;
let client: TokenLab;
beforeAll(async () => {
  server = await startLoopback((req, res) => {
    if (req.url?.startsWith('/v1/audio/speech')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(Buffer.from([0xff, 0xfb, 0x90, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[]}');
    }
  });
  client = new TokenLab({ apiKey: 'sk-contract-0123456789abcdef', baseURL: server.url });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

describe('client requests follow the TokenLab OpenAPI document', () => {
  it('speech bodies validate against AudioSpeechRequest', async () => {
    const validate = ajv.compile(spec.components.schemas.AudioSpeechRequest);
    const params = [
      { input: 'Hello.' },
      { input: 'Hello.', model: 'gpt-4o-mini-tts', voice: 'alloy', instructions: 'calm', response_format: 'pcm', speed: 1.5, stream_format: 'sse' },
      { input: 'Hallo.', model: 'gemini-2.5-flash-preview-tts', voice: { id: 'voice_1' }, prompt: 'warm', language_code: 'de-DE', temperature: 0.7 },
      { input: 'Hi.', model: 'speech-02-hd', voice_id: 'male-qn-qingse', response_format: 'mp3' },
    ] as const;
    for (const p of params) {
      const audio = await client.audio.speech.create(p);
      audio.destroy();
      const body = JSON.parse(server.seen.at(-1)!.body.toString()) as unknown;
      const ok = validate(body);
      expect(ok, JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('model list query parameters use the names and values the document declares', async () => {
    await client.models.list({ recommendedFor: 'stt', category: 'stt', provider: 'openai', tag: 'x', view: 'compact' });
    const url = new URL(server.seen.at(-1)!.url, 'http://x');
    const declared = spec.paths['/v1/models']!.get!.parameters!;
    for (const [name, value] of url.searchParams) {
      const param = declared.find((d) => d.name === name && d.in === 'query');
      expect(param, name).toBeDefined();
      if (param!.schema.enum) expect(param!.schema.enum).toContain(value);
    }
  });
});
