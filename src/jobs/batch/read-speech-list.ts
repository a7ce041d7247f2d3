/**
 * Reads the clips of a speech batch from a text file (one clip per non-empty line), a CSV file with a header
 * row (a `text` or `input` column; optional `id`/`name`, `voice`, `model`, `instructions`, `speed`), or a JSONL
 * file (one object per line with the same fields).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BatchInputError } from './batch-errors.js';

/** One clip to speak. */
export interface SpeechListEntry {
  /** A file-name-safe name: the `id`/`name` field, else the clip's 1-based number padded (`0007`). */
  readonly name: string;
  readonly text: string;
  readonly voice?: string | undefined;
  readonly model?: string | undefined;
  readonly instructions?: string | undefined;
  readonly speed?: number | undefined;
  /** Line of the list it came from (1-based), for messages. */
  readonly line: number;
}

/** Lists larger than this are refused (they are read whole). */
export const MAX_SPEECH_LIST_BYTES = 64 * 1024 * 1024;

/** Parses CSV (RFC 4180: quoted fields with `""`, commas and newlines inside quotes) into rows with their start lines. */
export function parseCsv(text: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.length > 1 || cells[0] !== '') rows.push({ cells, line: rowLine });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted) throw new BatchInputError(`Line ${rowLine}: a quoted field is not closed.`);
  cells.push(cell);
  if (cells.length > 1 || cells[0] !== '') rows.push({ cells, line: rowLine });
  return rows;
}

function safeName(raw: string, line: number): string {
  const name = raw.trim().replace(/[/\\:*?"<>|\u0000-\u001f]+/g, '_').replace(/^\.+/, '_');
  if (name === '') throw new BatchInputError(`Line ${line}: the id/name is empty.`);
  return name.slice(0, 120);
}

function entryFrom(fields: Record<string, unknown>, line: number, index: number, width: number, where: string): SpeechListEntry {
  const text = fields['text'] ?? fields['input'];
  if (typeof text !== 'string' || text.trim() === '') throw new BatchInputError(`${where} line ${line}: no text to speak (a "text" or "input" field).`);
  const id = fields['id'] ?? fields['name'];
  const speedRaw = fields['speed'];
  const speed = speedRaw === undefined || speedRaw === '' ? undefined : Number(speedRaw);
  if (speed !== undefined && !(speed >= 0.25 && speed <= 4)) throw new BatchInputError(`${where} line ${line}: speed must be from 0.25 to 4 (got ${JSON.stringify(speedRaw)}).`);
  const str = (k: string): string | undefined => (typeof fields[k] === 'string' && (fields[k] as string).trim() !== '' ? (fields[k] as string) : undefined);
  return {
    name: id !== undefined && id !== '' ? safeName(String(id), line) : String(index + 1).padStart(width, '0'),
    text,
    voice: str('voice'),
    model: str('model'),
    instructions: str('instructions'),
    speed,
    line,
  };
}

/**
 * Reads a speech list; the format comes from the extension (`.csv`, `.jsonl`/`.ndjson`, anything else is text).
 * @throws BatchInputError naming the line that is wrong (no text, bad JSON, bad speed, duplicate id).
 */
export async function readSpeechList(file: string): Promise<SpeechListEntry[]> {
  const where = path.basename(file);
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new BatchInputError(`Cannot read the speech list ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { cause: e });
  });
  if (!info.isFile()) throw new BatchInputError(`The speech list ${file} is not a file.`);
  if (info.size > MAX_SPEECH_LIST_BYTES) throw new BatchInputError(`The speech list ${file} is ${info.size} bytes; split it into lists under ${MAX_SPEECH_LIST_BYTES} bytes.`);
  const content = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const ext = path.extname(file).toLowerCase();
  let raw: { fields: Record<string, unknown>; line: number }[];
  if (ext === '.csv') {
    const rows = parseCsv(content);
    const header = rows.shift();
    if (!header) throw new BatchInputError(`${where} is empty.`);
    const columns = header.cells.map((c) => c.trim().toLowerCase());
    if (!columns.includes('text') && !columns.includes('input')) throw new BatchInputError(`${where}: the header row needs a "text" column (got ${columns.join(', ')}).`);
    raw = rows.map((r) => ({ fields: Object.fromEntries(columns.map((c, i) => [c, r.cells[i] ?? ''])), line: r.line }));
  } else {
    const lines = content.split(/\r?\n/);
    raw = [];
    for (const [i, l] of lines.entries()) {
      if (l.trim() === '') continue;
      if (ext === '.jsonl' || ext === '.ndjson') {
        let value: unknown;
        try {
          value = JSON.parse(l);
        } catch {
          throw new BatchInputError(`${where} line ${i + 1}: not valid JSON.`);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BatchInputError(`${where} line ${i + 1}: expected an object like {"text": "…"}.`);
        raw.push({ fields: value as Record<string, unknown>, line: i + 1 });
      } else {
        raw.push({ fields: { text: l.trim() }, line: i + 1 });
      }
    }
  }
  if (raw.length === 0) throw new BatchInputError(`${where} has no clips to speak.`);
  const width = Math.max(4, String(raw.length).length);
  const entries = raw.map((r, i) => entryFrom(r.fields, r.line, i, width, where));
  const seen = new Map<string, number>();
  for (const e of entries) {
    const first = seen.get(e.name);
    if (first !== undefined) throw new BatchInputError(`${where} line ${e.line}: the id "${e.name}" was already used on line ${first}; ids name the output files.`);
    seen.set(e.name, e.line);
  }
  return entries;
}
