import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import { InputError } from '../../core/errors.js';
import type { TranscriptionPieceUnit } from './piece-unit.js';

/** What `plan.json` records once a source has been cut completely. */
export interface LongJobPlan {
  readonly jobKey: string;
  readonly pieceCount: number;
  /** Length of the decoded source, ms. */
  readonly sourceDurationMs: number;
}

/** SHA-256 of a file's content, streamed. */
export async function fileSha256(filePath: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A job's key: the source's content hash and every option that changes what is sent or how it is cut. */
export function longJobKey(sourceSha256: string, options: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(options, Object.keys(options).sort());
  return createHash('sha256').update(`tokenlab-audio/long-transcription/1\n${sourceSha256}\n${canonical}`).digest('hex').slice(0, 32);
}

/**
 * The work directory of one job (`<root>/<jobKey>/`): per piece its encoded audio, its unit and its result,
 * each written atomically, and `plan.json` once the source was cut completely. A rerun with the same file and
 * options finds the same directory and requests only the pieces without a result.
 */
export class LongJobWorkDir {
  readonly dir: string;
  readonly jobKey: string;

  private constructor(dir: string, jobKey: string) {
    this.dir = dir;
    this.jobKey = jobKey;
  }

  /** Creates (or reopens) `<root>/<jobKey>/`. @throws InputError when it cannot be created. */
  static async open(root: string, jobKey: string, describe: Readonly<Record<string, unknown>>): Promise<LongJobWorkDir> {
    const dir = path.join(root, jobKey);
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new InputError(`Cannot create the work directory ${dir}: ${(e as Error).message}. Pass another workDir (--work-dir).`, 'TLA_ERR_INPUT_OUTPUT', { cause: e });
    }
    const wd = new LongJobWorkDir(dir, jobKey);
    const jobFile = path.join(dir, 'job.json');
    if (!(await stat(jobFile).catch(() => undefined))) await writeFileAtomic(jobFile, `${JSON.stringify({ jobKey, ...describe }, null, 2)}\n`);
    return wd;
  }

  #name(index: number): string {
    return `piece-${String(index).padStart(6, '0')}`;
  }
  audioPath(index: number, extension: string): string {
    return path.join(this.dir, `${this.#name(index)}.${extension}`);
  }
  unitPath(index: number): string {
    return path.join(this.dir, `${this.#name(index)}.unit.json`);
  }
  resultPath(index: number): string {
    return path.join(this.dir, `${this.#name(index)}.result.json`);
  }

  async hasResult(index: number): Promise<boolean> {
    return (await stat(this.resultPath(index)).catch(() => undefined))?.isFile() === true;
  }

  /** A saved unit whose audio is still there at its recorded size. */
  async readyUnit(index: number): Promise<TranscriptionPieceUnit | undefined> {
    try {
      const unit = JSON.parse(await readFile(this.unitPath(index), 'utf8')) as TranscriptionPieceUnit;
      if (unit.jobKey !== this.jobKey || unit.index !== index) return undefined;
      const info = await stat(unit.audioPath);
      return info.size === unit.audioByteLength ? unit : undefined;
    } catch {
      return undefined;
    }
  }

  async saveUnit(unit: TranscriptionPieceUnit): Promise<void> {
    await writeFileAtomic(this.unitPath(unit.index), `${JSON.stringify(unit)}\n`);
  }

  /** Removes a finished piece's audio (its result is saved). */
  async dropAudio(unit: TranscriptionPieceUnit): Promise<void> {
    await rm(unit.audioPath, { force: true });
  }

  async readPlan(): Promise<LongJobPlan | undefined> {
    try {
      const plan = JSON.parse(await readFile(path.join(this.dir, 'plan.json'), 'utf8')) as LongJobPlan;
      return plan.jobKey === this.jobKey && Number.isInteger(plan.pieceCount) ? plan : undefined;
    } catch {
      return undefined;
    }
  }

  async savePlan(plan: LongJobPlan): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'plan.json'), `${JSON.stringify(plan)}\n`);
  }
}
