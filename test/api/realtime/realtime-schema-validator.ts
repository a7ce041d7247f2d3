// Validates realtime events against the JSON Schemas of docs/spec/openai-audio-realtime.subset.yaml, per dialect:
// GA events against `RealtimeClientEvent*` / `RealtimeServerEvent*`, beta wire events against `RealtimeBeta*`.
// Shared by the client's conformance tests and the emulator's (one loader of the spec).
//
// Two deliberate adjustments to the spec, both for defects of the document rather than of the events:
// - `oneOf` becomes `anyOf`: several unions list overlapping alternatives (`conversation: oneOf [string, enum
//   'auto'|'none']`, tool choices), so a valid value matches two branches and `oneOf` would reject it;
// - `nullable: true` (an OpenAPI 3.0 keyword in this 3.1 document) becomes `anyOf [schema, null]`;
// - the beta `session.update` schema (`RealtimeSessionCreateRequest`) requires `client_secret`, a field of the
//   REST response that no socket client sends: that one requirement is dropped.
// - beta session fields the API documents as "null turns it off" but whose beta schema lacks null
//   (`turn_detection`, `input_audio_noise_reduction`, `input_audio_transcription`) accept null, in the beta
//   family only;
// - the beta schemas reuse the GA conversation item schema, whose assistant parts are `output_text` /
//   `output_audio`; beta servers and clients name them `text` / `audio` (openai-node's beta types), so the beta
//   family accepts those names too.
// Events unchanged between dialects that the spec lists only in the GA family (`conversation.created`,
// `output_audio_buffer.*`) are checked against their GA schema in the beta dialect.
// The beta server event schemas in this spec carry GA `type` names (e.g. `RealtimeBetaServerEventResponseAudioDelta`
// has `type: response.output_audio.delta`); beta wire names are mapped to their schema and checked against it
// with the schema's own type name.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';

const SPEC_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'spec', 'openai-audio-realtime.subset.yaml');
const SPEC_ID = 'openai-audio-realtime.json';

function adjust(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(adjust);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k === 'oneOf' ? 'anyOf' : k] = adjust(v);
  // OpenAPI 3.0's `nullable` inside a 3.1 document: spelled the JSON Schema way.
  return (node as Record<string, unknown>).nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

type Spec = { components: { schemas: Record<string, any> } };
const source = YAML.parse(readFileSync(SPEC_PATH, 'utf8'));
const spec = adjust(source) as Spec;
const schemas = spec.components.schemas;
const betaSession = schemas['RealtimeSessionCreateRequest'];
betaSession.required = (betaSession.required ?? []).filter((r: string) => r !== 'client_secret');

// The beta family's copy, with the beta-only adjustments.
const betaSpec = adjust(source) as Spec;
const betaSchemas = betaSpec.components.schemas;
betaSchemas['RealtimeSessionCreateRequest'].required = betaSession.required;
for (const name of ['RealtimeSessionCreateRequest', 'RealtimeSession']) {
  const props = betaSchemas[name].properties;
  for (const key of ['turn_detection', 'input_audio_noise_reduction', 'input_audio_transcription']) {
    if (props[key]) props[key] = { anyOf: [props[key], { type: 'null' }] };
  }
}
const assistantPartType = betaSchemas['RealtimeConversationItemMessageAssistant'].properties.content.items.properties.type;
assistantPartType.enum = [...assistantPartType.enum, 'text', 'audio'];

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
function makeAjv(document: Spec): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('unixtime', true);
  ajv.addFormat('binary', true);
  ajv.addSchema(document, SPEC_ID);
  return ajv;
}
const gaAjv = makeAjv(spec);
const betaAjv = makeAjv(betaSpec);

/** The event `type` each schema declares, for the schemas of one family. */
function typeIndex(prefix: RegExp): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const [name, s] of Object.entries(schemas)) {
    if (!prefix.test(name)) continue;
    const t = s?.properties?.type?.enum?.[0] ?? s?.properties?.type?.const;
    if (typeof t !== 'string') continue;
    index.set(t, [...(index.get(t) ?? []), name]);
  }
  return index;
}

const GA_CLIENT = typeIndex(/^RealtimeClientEvent[A-Z]/);
const GA_SERVER = typeIndex(/^RealtimeServerEvent[A-Z]/);
const BETA_CLIENT = typeIndex(/^RealtimeBetaClientEvent[A-Z]/);
const BETA_SERVER = typeIndex(/^RealtimeBetaServerEvent[A-Z]/);

/** Beta wire names of server events → the GA-named `type` their beta schema carries in this spec. */
const BETA_SERVER_WIRE_TO_SCHEMA_TYPE: Readonly<Record<string, string>> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
};

const cache = new Map<string, ValidateFunction>();
function validatorOf(name: string, dialect: 'ga' | 'beta'): ValidateFunction {
  const key = `${dialect}:${name}`;
  let v = cache.get(key);
  if (!v) {
    v = (dialect === 'ga' ? gaAjv : betaAjv).compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` });
    cache.set(key, v);
  }
  return v;
}

/** Unchanged between dialects, listed only in the GA family of this spec. */
const GA_SCHEMA_FOR_BETA: ReadonlySet<string> = new Set(['conversation.created', 'output_audio_buffer.started', 'output_audio_buffer.stopped', 'output_audio_buffer.cleared']);

export type Direction = 'client' | 'server';
export type Dialect = 'ga' | 'beta';

/** Schema violations of one event (empty = valid), `[schema] path message`. */
export function realtimeEventErrors(event: Record<string, unknown>, direction: Direction, dialect: Dialect): string[] {
  const type = String(event.type);
  let candidate = event;
  let lookupType = type;
  if (dialect === 'beta' && direction === 'server' && BETA_SERVER_WIRE_TO_SCHEMA_TYPE[type]) {
    lookupType = BETA_SERVER_WIRE_TO_SCHEMA_TYPE[type]!;
    candidate = { ...event, type: lookupType };
  }
  let index = direction === 'client' ? (dialect === 'ga' ? GA_CLIENT : BETA_CLIENT) : dialect === 'ga' ? GA_SERVER : BETA_SERVER;
  if (dialect === 'beta' && direction === 'server' && GA_SCHEMA_FOR_BETA.has(type)) index = GA_SERVER;
  const names = index.get(lookupType);
  if (!names) return [`no ${dialect} ${direction} event schema has type "${type}"`];
  const errors: string[] = [];
  for (const name of names) {
    const validate = validatorOf(name, dialect);
    if (validate(candidate)) return [];
    errors.push(...(validate.errors ?? []).map((e) => `[${name}] ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));
  }
  return errors;
}

/** Every event type the spec declares for a family (for coverage checks). */
export function specEventTypes(direction: Direction, dialect: Dialect): string[] {
  const index = direction === 'client' ? (dialect === 'ga' ? GA_CLIENT : BETA_CLIENT) : dialect === 'ga' ? GA_SERVER : BETA_SERVER;
  return [...index.keys()];
}
