// Validates payloads against the schemas of TokenLab's OpenAPI document (docs/spec/tokenlab-openapi.json),
// with every $ref resolved by ajv inside the one document.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const SPEC_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'spec', 'tokenlab-openapi.json');
export const SPEC = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, any>;
const SPEC_ID = 'tokenlab-openapi.json';

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: false | 'array'): Ajv {
  // OpenAPI 3.0 carries keywords JSON Schema does not know (example, discriminator…): not strict.
  // The document uses 3.1-style `type: [..., "null"]`, which ajv (draft-07) understands natively.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema(SPEC, SPEC_ID);
  return ajv;
}

const strictAjv = makeAjv(false);
// Multipart fields arrive as strings and repeated `name[]` parts: coerce like a form parser would.
const formAjv = makeAjv('array');

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

const cache = new Map<string, ValidateFunction>();
function validatorFor(ref: string, form = false): ValidateFunction {
  const key = `${form}:${ref}`;
  let v = cache.get(key);
  if (!v) {
    v = (form ? formAjv : strictAjv).compile({ $ref: `${SPEC_ID}#${ref}` });
    cache.set(key, v);
  }
  return v;
}

function resolve(node: any): any {
  while (node && typeof node.$ref === 'string') {
    node = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((n: any, p: string) => n?.[p.replace(/~1/g, '/').replace(/~0/g, '~')], SPEC);
  }
  return node;
}

/** The JSON-pointer of a response body schema, following `$ref`ed responses. */
export function responseSchemaRef(route: string, method: string, status: number, contentType: string): string {
  const responses = SPEC['paths'][route]?.[method]?.responses;
  if (!responses) throw new Error(`spec has no ${method.toUpperCase()} ${route}`);
  const declared = responses[String(status)];
  if (!declared) throw new Error(`spec declares no ${status} for ${method.toUpperCase()} ${route} (declared: ${Object.keys(responses).join(', ')})`);
  const resolvedRef = declared.$ref ? declared.$ref.replace(/^#/, '') : `/${pointer('paths', route, method, 'responses', String(status))}`;
  const response = resolve(declared);
  if (!response.content?.[contentType]) {
    throw new Error(`spec declares no ${contentType} body for ${status} of ${method.toUpperCase()} ${route} (declared: ${Object.keys(response.content ?? {}).join(', ')})`);
  }
  return `${resolvedRef}/${pointer('content', contentType, 'schema')}`;
}

/** Validation errors (empty when valid) of a response body against the spec. */
export function responseErrors(route: string, method: string, status: number, contentType: string, body: unknown): string[] {
  const validate = validatorFor(responseSchemaRef(route, method, status, contentType));
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Validation errors of a request body against the spec's request body schema. */
export function requestErrors(route: string, method: string, contentType: string, body: unknown): string[] {
  const ref = `/${pointer('paths', route, method, 'requestBody', 'content', contentType, 'schema')}`;
  const validate = validatorFor(ref, contentType === 'multipart/form-data');
  // Coercion mutates: validate a copy.
  const copy = JSON.parse(JSON.stringify(body));
  return validate(copy) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Validation errors of query parameters against the operation's declared parameters (unknown ones are errors). */
export function queryErrors(route: string, method: string, query: Record<string, string>): string[] {
  const params: any[] = (SPEC['paths'][route]?.[method]?.parameters ?? []).map(resolve).filter((p: any) => p.in === 'query');
  const errors: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    const index = params.findIndex((p) => p.name === name);
    if (index < 0) {
      errors.push(`query parameter ${name} is not declared`);
      continue;
    }
    const validate = validatorFor(`/${pointer('paths', route, method, 'parameters', String(SPEC['paths'][route][method].parameters.indexOf(params[index])), 'schema')}`, true);
    if (!validate(value)) errors.push(`query ${name}=${value}: ${(validate.errors ?? []).map((e) => e.message).join(', ')}`);
  }
  for (const p of params) if (p.required && !(p.name in query)) errors.push(`query parameter ${p.name} is required`);
  return errors;
}

/** Content types the spec declares for a response. */
export function declaredContentTypes(route: string, method: string, status: number): string[] {
  return Object.keys(resolve(SPEC['paths'][route][method].responses[String(status)]).content ?? {});
}
