/**
 * Pins the layering of docs/DESIGN.md: imports only point down. Every relative import, re-export and dynamic import
 * under src/ is read with the TypeScript parser and checked against the table below, so a new upward import fails here
 * with the file and the edge to remove.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const srcDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** What each layer (a folder under src/, or a file at its top) may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  codecs: ['core'],
  transports: ['core'],
  api: ['core', 'codecs', 'transports'],
  streams: ['core', 'codecs', 'transports', 'api'],
  // The composition root: builds the api objects and hands them what the streams layer provides (the PCM decoder).
  'client.ts': ['core', 'codecs', 'transports', 'api', 'streams'],
  jobs: ['core', 'codecs', 'transports', 'api', 'streams', 'client.ts'],
  queue: ['core', 'codecs', 'transports', 'api', 'streams', 'client.ts', 'jobs'],
  emulator: ['core', 'codecs', 'transports', 'api', 'streams', 'client.ts', 'jobs'],
  cli: ['core', 'codecs', 'transports', 'api', 'streams', 'client.ts', 'jobs', 'queue', 'emulator'],
  'index.ts': ['core', 'codecs', 'transports', 'api', 'streams', 'client.ts', 'jobs'],
};

/** Streams that take a client (`ttsSource`, `transcribeStream`, `realtimeDuplex`) name its type; erased at build. */
const TYPE_ONLY_EXCEPTIONS: Record<string, readonly string[]> = { streams: ['client.ts'] };

interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

function importEdges(file: string): ImportEdge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.')) edges.push({ from: file, to: path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, node.isTypeOnly);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) add(arg.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const layerOf = (file: string): string => path.relative(srcDir, file).split(path.sep)[0]!;
const show = (e: ImportEdge) => `${path.relative(srcDir, e.from)} -> ${path.relative(srcDir, e.to)}${e.typeOnly ? ' (type only)' : ''}`;

describe('layering (docs/DESIGN.md "Layers")', () => {
  const edges = sourceFiles(srcDir).flatMap(importEdges);

  it('reads a real import graph', () => {
    // Guards the parser: the client is known to import the speech API, and api files import core.
    expect(edges.map(show)).toContain('client.ts -> api/speech/speech.ts');
    expect(edges.some((e) => layerOf(e.from) === 'api' && layerOf(e.to) === 'core')).toBe(true);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
  });

  it('every file lives in a known layer', () => {
    const unknown = [...new Set(edges.flatMap((e) => [e.from, e.to]).map(layerOf))].filter((l) => !(l in MAY_IMPORT));
    expect(unknown).toEqual([]);
  });

  it('no file under src/api imports src/streams (not even a type): pcm() gets its decoder from the client', () => {
    const upward = edges.filter((e) => layerOf(e.from) === 'api' && layerOf(e.to) !== 'api' && !MAY_IMPORT.api!.includes(layerOf(e.to)));
    expect(upward.map(show)).toEqual([]);
  });

  it('imports only point down', () => {
    const upward = edges.filter((e) => {
      const from = layerOf(e.from);
      const to = layerOf(e.to);
      if (from === to || MAY_IMPORT[from]?.includes(to)) return false;
      return !(e.typeOnly && TYPE_ONLY_EXCEPTIONS[from]?.includes(to));
    });
    expect(upward.map(show)).toEqual([]);
  });
});
