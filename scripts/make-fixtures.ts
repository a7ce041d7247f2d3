// Generates the audio test fixtures under test/.fixtures with the ffmpeg our resolver finds (the
// @ffmpeg-installer binary after a fresh `npm ci`). Idempotent: only missing files are made, and a
// run with everything present costs a few stat calls. Sources: sine, noise, chirp, and speech when
// espeak-ng is installed; each in every container/codec the toolkit reads. Run alone: npm run fixtures.
import { execFile } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { FfmpegProcess, runFfmpeg } from '../src/codecs/ffmpeg/ffmpeg-process.js';

export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', '.fixtures');

const NO_SPEECH_MARKER = '.no-speech';

/** Bump when a recipe changes, so stale fixtures are rebuilt. */
const RECIPE_VERSION = 5;

/** A generated audio source. */
export interface FixtureSource {
  readonly name: 'sine' | 'noise' | 'chirp' | 'speech';
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationMs: number;
}

export const FIXTURE_SOURCES: readonly FixtureSource[] = [
  { name: 'sine', sampleRate: 48_000, channels: 2, durationMs: 1000 },
  { name: 'noise', sampleRate: 24_000, channels: 1, durationMs: 700 },
  { name: 'chirp', sampleRate: 16_000, channels: 1, durationMs: 800 },
  { name: 'speech', sampleRate: 22_050, channels: 1, durationMs: 0 },
];

/** One fixture file and what it contains. */
export interface Fixture {
  /** File name inside FIXTURE_DIR, e.g. `sine.s24.wav`. */
  readonly file: string;
  readonly source: FixtureSource['name'];
  /** Container as `sniffAudio` names it. */
  readonly container: 'wav' | 'pcm' | 'ogg' | 'webm' | 'mp3' | 'aac' | 'mp4' | 'flac';
  /** Codec / sample layout inside, e.g. `pcm_s24le`, `opus`, `mulaw`. */
  readonly codec: string;
  /** Sample rate and channels of the coded audio. */
  readonly sampleRate: number;
  readonly channels: number;
  /** True when the bytes are exactly reproducible by decoding in-process (PCM, G.711). */
  readonly lossless: boolean;
}

interface Variant {
  readonly suffix: string;
  readonly container: Fixture['container'];
  readonly codec: string;
  readonly lossless: boolean;
  /** Output sample rate/channels override (else the source's). */
  readonly sampleRate?: number;
  readonly channels?: number;
  /** ffmpeg output arguments (after `-i master`). */
  readonly args: readonly string[];
  /** Write through a pipe (stdout) so the muxer cannot seek back: a streamed WAV header. */
  readonly piped?: boolean;
}

const VARIANTS: readonly Variant[] = [
  { suffix: 'u8.wav', container: 'wav', codec: 'pcm_u8', lossless: true, args: ['-c:a', 'pcm_u8', '-f', 'wav'] },
  { suffix: 's16.wav', container: 'wav', codec: 'pcm_s16le', lossless: true, args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  { suffix: 's24.wav', container: 'wav', codec: 'pcm_s24le', lossless: true, args: ['-c:a', 'pcm_s24le', '-f', 'wav'] },
  { suffix: 's32.wav', container: 'wav', codec: 'pcm_s32le', lossless: true, args: ['-c:a', 'pcm_s32le', '-f', 'wav'] },
  { suffix: 'f32.wav', container: 'wav', codec: 'pcm_f32le', lossless: true, args: ['-c:a', 'pcm_f32le', '-f', 'wav'] },
  { suffix: 'f64.wav', container: 'wav', codec: 'pcm_f64le', lossless: true, args: ['-c:a', 'pcm_f64le', '-f', 'wav'] },
  // ffmpeg writes WAVE_FORMAT_EXTENSIBLE with a channel mask for more than 2 channels.
  { suffix: '6ch.s16.wav', container: 'wav', codec: 'pcm_s16le', lossless: true, channels: 6, args: ['-c:a', 'pcm_s16le', '-ac', '6', '-f', 'wav'] },
  // Sizes 0xFFFFFFFF and a LIST chunk, as ffmpeg and streaming TTS servers write to a pipe.
  { suffix: 'streamed.wav', container: 'wav', codec: 'pcm_s16le', lossless: true, piped: true, args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  { suffix: 'mulaw.wav', container: 'wav', codec: 'mulaw', lossless: true, sampleRate: 8000, channels: 1, args: ['-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1', '-f', 'wav'] },
  { suffix: 'alaw.wav', container: 'wav', codec: 'alaw', lossless: true, sampleRate: 8000, channels: 1, args: ['-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1', '-f', 'wav'] },
  { suffix: 's16le.pcm', container: 'pcm', codec: 's16le', lossless: true, args: ['-f', 's16le'] },
  { suffix: 'f32le.pcm', container: 'pcm', codec: 'f32le', lossless: true, args: ['-f', 'f32le'] },
  { suffix: 'ulaw', container: 'pcm', codec: 'mulaw', lossless: true, sampleRate: 8000, channels: 1, args: ['-ar', '8000', '-ac', '1', '-f', 'mulaw'] },
  { suffix: 'alaw', container: 'pcm', codec: 'alaw', lossless: true, sampleRate: 8000, channels: 1, args: ['-ar', '8000', '-ac', '1', '-f', 'alaw'] },
  { suffix: 'opus', container: 'ogg', codec: 'opus', lossless: false, sampleRate: 48_000, args: ['-c:a', 'libopus', '-b:a', '48k', '-ar', '48000', '-page_duration', '100000', '-f', 'ogg'] },
  { suffix: 'opus.webm', container: 'webm', codec: 'opus', lossless: false, sampleRate: 48_000, args: ['-c:a', 'libopus', '-b:a', '48k', '-ar', '48000', '-f', 'webm'] },
  { suffix: 'mp3', container: 'mp3', codec: 'mp3', lossless: false, args: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'] },
  { suffix: 'aac', container: 'aac', codec: 'aac', lossless: false, args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'] },
  { suffix: 'm4a', container: 'mp4', codec: 'aac', lossless: false, args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'ipod'] },
  { suffix: 'flac', container: 'flac', codec: 'flac', lossless: false, args: ['-c:a', 'flac', '-f', 'flac'] },
  { suffix: 'vorbis.ogg', container: 'ogg', codec: 'vorbis', lossless: false, args: ['-c:a', 'libvorbis', '-q:a', '3', '-f', 'ogg'] },
];

/**
 * Media as users meet it, made on purpose, outside the format matrix above: each has a recipe
 * (ffmpeg arguments for a lavfi source) and an optional `damage` applied to the bytes afterwards.
 */
export interface MediaFixture {
  /** File name inside FIXTURE_DIR. */
  readonly file: string;
  readonly description: string;
  readonly args: readonly string[];
  readonly damage?: (bytes: Buffer) => Buffer;
}

/** Flips bits in the body of the Ogg page holding `fraction` of the file, so that page fails its CRC. */
function damageOggPage(bytes: Buffer, fraction: number): Buffer {
  const out = Buffer.from(bytes);
  const page = out.indexOf('OggS', Math.floor(out.length * fraction), 'latin1');
  if (page < 0) throw new Error('make-fixtures: no Ogg page to damage');
  const bodyAt = page + 27 + out[page + 26]!;
  for (let i = bodyAt + 8; i < bodyAt + 24 && i < out.length; i++) out[i] = out[i]! ^ 0x5a;
  return out;
}

export const MEDIA_FIXTURES: readonly MediaFixture[] = [
  {
    // ffmpeg's mp4 muxer writes the index after the media unless told +faststart: a pipe cannot read it.
    file: 'moov-at-end.mp4',
    description: '5 s AAC in MP4 with the moov box after mdat (no +faststart)',
    args: ['-f', 'lavfi', '-i', 'sine=f=440:d=5:sample_rate=44100', '-c:a', 'aac', '-b:a', '64k', '-f', 'mp4'],
  },
  {
    file: 'gapless-44k.mp3',
    description: '3 s 44.1 kHz mono MP3 with a LAME tag (encoder delay 576, padding at the end)',
    args: ['-f', 'lavfi', '-i', 'sine=f=440:d=3:sample_rate=44100', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  },
  {
    file: 'truncated.mp3',
    description: '3 s MP3 cut at 60 %, inside a frame',
    args: ['-f', 'lavfi', '-i', 'sine=f=440:d=3:sample_rate=44100', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
    damage: (b) => b.subarray(0, Math.floor(b.length * 0.6) + 7),
  },
  {
    file: 'crc-damaged.vorbis.ogg',
    description: '3 s Ogg/Vorbis with one page in the middle failing its CRC',
    args: ['-f', 'lavfi', '-i', 'sine=f=440:d=3:sample_rate=44100', '-c:a', 'libvorbis', '-q:a', '3', '-f', 'ogg'],
    damage: (b) => damageOggPage(b, 0.5),
  },
  {
    file: 'crc-damaged.opus',
    description: '3 s Ogg/Opus with one page in the middle failing its CRC',
    args: ['-f', 'lavfi', '-i', 'sine=f=440:d=3:sample_rate=48000', '-c:a', 'libopus', '-b:a', '48k', '-page_duration', '100000', '-f', 'ogg'],
    damage: (b) => damageOggPage(b, 0.5),
  },
  {
    // One tone per speaker, LFE the loudest, so a down-mix's weights can be measured channel by channel.
    file: 'surround-5.1.wav',
    description: '1 s 48 kHz 5.1 WAV: FL 300 Hz, FR 500 Hz, FC 700 Hz, LFE 60 Hz (loud), SL 900 Hz, SR 1100 Hz',
    args: [
      '-f', 'lavfi', '-i',
      'aevalsrc=0.2*sin(2*PI*300*t)|0.2*sin(2*PI*500*t)|0.2*sin(2*PI*700*t)|0.6*sin(2*PI*60*t)|0.2*sin(2*PI*900*t)|0.2*sin(2*PI*1100*t):s=48000:d=1:c=5.1',
      '-c:a', 'pcm_s16le', '-f', 'wav',
    ],
  },
];

async function makeMediaFixture(fixture: MediaFixture): Promise<void> {
  const target = path.join(FIXTURE_DIR, fixture.file);
  const tmp = `${target}.${process.pid}.tmp`;
  await runFfmpeg(['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...fixture.args, '-map_metadata', '-1', tmp]);
  if (fixture.damage) await writeFile(tmp, fixture.damage(readFileSync(tmp)));
  await rename(tmp, target);
}

function sourceFilter(source: FixtureSource): string[] {
  const seconds = (source.durationMs / 1000).toFixed(3);
  const sr = source.sampleRate;
  switch (source.name) {
    case 'sine':
      // 440 Hz left, 660 Hz right, at -6 dBFS, so channel order mistakes show.
      return ['-f', 'lavfi', '-i', `aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*660*t):s=${sr}:d=${seconds}`];
    case 'noise':
      return ['-f', 'lavfi', '-i', `anoisesrc=d=${seconds}:c=pink:a=0.3:r=${sr}:seed=20240501`];
    case 'chirp':
      // Linear sweep 100 Hz -> 7 kHz over the duration.
      return ['-f', 'lavfi', '-i', `aevalsrc=0.5*sin(2*PI*(100*t+${((7000 - 100) / (2 * (source.durationMs / 1000))).toFixed(3)}*t*t)):s=${sr}:d=${seconds}`];
    case 'speech':
      throw new Error('speech comes from espeak-ng');
  }
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The fixtures this machine can make (speech only with espeak-ng). */
export function listFixtures(options: { speech?: boolean } = {}): Fixture[] {
  // A broken espeak-ng leaves a marker (see generate) so speech is skipped instead of failing every run.
  const speech = options.speech ?? (findOnPath('espeak-ng') !== undefined && !existsSync(path.join(FIXTURE_DIR, NO_SPEECH_MARKER)));
  const out: Fixture[] = [];
  for (const source of FIXTURE_SOURCES) {
    if (source.name === 'speech' && !speech) continue;
    for (const v of VARIANTS) {
      out.push({
        file: `${source.name}.${v.suffix}`,
        source: source.name,
        container: v.container,
        codec: v.codec,
        sampleRate: v.sampleRate ?? source.sampleRate,
        channels: v.channels ?? source.channels,
        lossless: v.lossless,
      });
    }
  }
  return out;
}

/** The fixtures present on disk (the ones the setup made here). */
export function availableFixtures(): Fixture[] {
  return listFixtures().filter((f) => existsSync(path.join(FIXTURE_DIR, f.file)));
}

function masterFile(source: FixtureSource): string {
  return path.join(FIXTURE_DIR, `master.${source.name}.f32.wav`);
}

async function makeMaster(source: FixtureSource): Promise<void> {
  const target = masterFile(source);
  if (existsSync(target)) return;
  const tmp = `${target}.${process.pid}.tmp`;
  if (source.name === 'speech') {
    const raw = `${tmp}.espeak.wav`;
    await new Promise<void>((resolve, reject) => {
      execFile('espeak-ng', ['-v', 'en-us', '-s', '170', '-w', raw, 'The quick brown fox jumps over the lazy dog.'], { timeout: 20_000 }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    await runFfmpeg(['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', raw, '-ar', String(source.sampleRate), '-ac', '1', '-c:a', 'pcm_f32le', '-f', 'wav', tmp]);
    await rm(raw, { force: true });
  } else {
    await runFfmpeg(['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...sourceFilter(source), '-ac', String(source.channels), '-c:a', 'pcm_f32le', '-f', 'wav', tmp]);
  }
  await rename(tmp, target);
}

async function makeVariant(source: FixtureSource, variant: Variant): Promise<void> {
  const target = path.join(FIXTURE_DIR, `${source.name}.${variant.suffix}`);
  const tmp = `${target}.${process.pid}.tmp`;
  const base = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', masterFile(source), '-map_metadata', '-1'];
  if (variant.piped) {
    // stdout cannot seek, so ffmpeg leaves the RIFF and data sizes at 0xFFFFFFFF.
    await pipeline(new FfmpegProcess({ args: [...base, ...variant.args, 'pipe:1'], stdin: 'none' }), createWriteStream(tmp));
  } else {
    await runFfmpeg([...base, ...variant.args, tmp]);
  }
  await rename(tmp, target);
}

async function runLimited(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

/**
 * Makes every missing fixture and returns FIXTURE_DIR. Fast when all exist. Safe when two test runs
 * start at once: each file is written to a temporary name and renamed into place.
 */
export async function ensureFixtures(): Promise<string> {
  await mkdir(FIXTURE_DIR, { recursive: true });
  if (upToDate()) return FIXTURE_DIR;
  // Several test runs may start at once in one work tree: one generates, the others wait for it.
  const release = await acquireLock();
  try {
    if (upToDate()) return FIXTURE_DIR;
    await generate();
  } finally {
    await release();
  }
  return FIXTURE_DIR;
}

const MANIFEST = (): string => path.join(FIXTURE_DIR, 'manifest.json');

function manifestVersion(): number {
  try {
    return (JSON.parse(readFileSync(MANIFEST(), 'utf8')) as { version?: number }).version ?? 0;
  } catch {
    return 0;
  }
}

function upToDate(): boolean {
  const present = (file: string): boolean => existsSync(path.join(FIXTURE_DIR, file));
  return manifestVersion() === RECIPE_VERSION && listFixtures().every((f) => present(f.file)) && MEDIA_FIXTURES.every((f) => present(f.file));
}

const LOCK_STALE_MS = 120_000;

async function acquireLock(): Promise<() => Promise<void>> {
  const lock = path.join(FIXTURE_DIR, '.lock');
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        // A lock left by a killed run would block forever; take it over when it is old.
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) await rm(lock, { force: true });
      } catch {
        // Released meanwhile.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function generate(): Promise<void> {
  if (manifestVersion() !== RECIPE_VERSION) {
    // Recipes changed: every generated file may be stale.
    for (const name of await readdir(FIXTURE_DIR)) if (name !== '.lock') await rm(path.join(FIXTURE_DIR, name), { force: true, recursive: true });
  }
  const wanted = listFixtures();
  const missing = wanted.filter((f) => !existsSync(path.join(FIXTURE_DIR, f.file)));
  const sources = FIXTURE_SOURCES.filter((s) => missing.some((f) => f.source === s.name));
  await runLimited(
    sources.map((s) => async () => {
      try {
        await makeMaster(s);
      } catch (err) {
        // Speech is optional (espeak-ng is a bench/corpus tool); the synthetic sources are not.
        if (s.name !== 'speech') throw err;
        await writeFile(path.join(FIXTURE_DIR, NO_SPEECH_MARKER), `espeak-ng failed: ${String(err)}\n`);
        console.warn(`make-fixtures: skipping speech fixtures, espeak-ng failed: ${String(err)}`);
      }
    }),
    2,
  );
  const tasks = missing.filter((f) => existsSync(masterFile(FIXTURE_SOURCES.find((s) => s.name === f.source)!))).map((f) => {
    const source = FIXTURE_SOURCES.find((s) => s.name === f.source)!;
    const variant = VARIANTS.find((v) => `${source.name}.${v.suffix}` === f.file)!;
    return () => makeVariant(source, variant);
  });
  for (const media of MEDIA_FIXTURES) if (!existsSync(path.join(FIXTURE_DIR, media.file))) tasks.push(() => makeMediaFixture(media));
  await runLimited(tasks, 3);
  const tmpManifest = `${MANIFEST()}.${process.pid}.tmp`;
  await writeFile(tmpManifest, JSON.stringify({ version: RECIPE_VERSION, files: listFixtures().map((f) => f.file) }, null, 2));
  await rename(tmpManifest, MANIFEST());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const started = Date.now();
  ensureFixtures().then(
    (dir) => console.log(`${availableFixtures().length} fixtures in ${dir} (${Date.now() - started} ms)`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
