import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from '../../../src/codecs/ffmpeg/ffmpeg-process.js';
import { BatchCostMeter } from '../../../src/jobs/batch/batch-cost.js';
import { findAudioFiles } from '../../../src/jobs/batch/find-audio-files.js';
import { planTranscribeJobs } from '../../../src/jobs/batch/plan-batch-jobs.js';
import { ffmpegDurationMs, probeAudioDurationMs } from '../../../src/jobs/batch/probe-audio-duration.js';
import { readStatedDurationMs } from '../../../src/jobs/batch/read-stated-duration.js';
import { corruptWav, writeBatchFiles } from '../../../scripts/make-batch-files.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tla-stated-duration-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Encodes `seconds` of a sine with ffmpeg's own encoders (what users' files come from). */
async function encode(name: string, seconds: number, rate: number, args: readonly string[]): Promise<string> {
  const file = path.join(root, name);
  await runFfmpeg(['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=440:d=${seconds}:sample_rate=${rate}`, ...args, file]);
  return file;
}

describe('readStatedDurationMs', () => {
  const lengths = [0.85, 1.234, 7.777];
  const kinds: [string, number, string[]][] = [
    ['s16.wav', 16_000, []],
    ['f32-stereo.wav', 44_100, ['-ac', '2', '-c:a', 'pcm_f32le']],
    ['mulaw.wav', 8_000, ['-c:a', 'pcm_mulaw']],
    ['s24-extensible.wav', 48_000, ['-ac', '3', '-c:a', 'pcm_s24le']],
    ['rf64.wav', 22_050, ['-rf64', 'always']],
    ['tagged.wav', 16_000, ['-metadata', 'title=A talk with a title']],
    ['flac.flac', 44_100, []],
    ['opus48.opus', 48_000, ['-c:a', 'libopus']],
    ['opus16.ogg', 16_000, ['-c:a', 'libopus', '-b:a', '24k']],
  ];

  it('reads WAV, RF64, FLAC and Ogg/Opus lengths in-process, equal to what ffmpeg states for the same file', async () => {
    for (const seconds of lengths) {
      for (const [name, rate, args] of kinds) {
        const file = await encode(`${seconds}-${name}`, seconds, rate, args);
        const stated = await readStatedDurationMs(file);
        expect(stated, file).toBeTypeOf('number');
        expect(stated, file).toBe(await ffmpegDurationMs(file));
        expect(Math.abs(stated! - seconds * 1000), file).toBeLessThanOrEqual(10);
      }
    }
  }, 90_000);

  it('leaves to ffmpeg what the header does not settle: Vorbis, MP3, a WAV with an open size, a WAV cut short, a FLAC with no sample count', async () => {
    const vorbis = await encode('v.ogg', 2.5, 22_050, ['-c:a', 'libvorbis']);
    const mp3 = await encode('a.mp3', 2.5, 22_050, []);
    const wav = await readFile(await encode('whole.wav', 2.5, 16_000, []));
    const open = Buffer.from(wav);
    open.writeUInt32LE(0xffffffff, open.indexOf('data', 12, 'latin1') + 4);
    const openFile = path.join(root, 'open.wav');
    await writeFile(openFile, open);
    const cut = path.join(root, 'cut.wav');
    await writeFile(cut, wav.subarray(0, wav.length - 16_000));
    const flac = await readFile(await encode('whole.flac', 2.5, 16_000, []));
    flac.fill(0, 8 + 13, 8 + 18); // STREAMINFO total samples: 0 = unknown
    flac[8 + 13] = flac[8 + 13]! & 0xf0;
    const noCount = path.join(root, 'no-count.flac');
    await writeFile(noCount, flac);
    // The cut WAV lost its last 0.5 s: ffmpeg finds the 2 s that are there.
    for (const [file, ms] of [[vorbis, 2500], [mp3, 2500], [openFile, 2500], [cut, 2000], [noCount, 2500]] as const) {
      expect(await readStatedDurationMs(file), file).toBeUndefined();
      expect(Math.abs((await probeAudioDurationMs(file)) - ms), file).toBeLessThanOrEqual(80);
    }
    const corrupt = path.join(root, 'corrupt.wav');
    await writeFile(corrupt, corruptWav(7));
    expect(await readStatedDurationMs(corrupt)).toBeUndefined();
    await expect(probeAudioDurationMs(corrupt)).rejects.toMatchObject({ code: 'TLA_ERR_INPUT_FILE' });
    await expect(probeAudioDurationMs(path.join(root, 'missing.wav'))).rejects.toMatchObject({ code: 'TLA_ERR_INPUT_FILE', message: expect.stringMatching(/no such file/) });
  }, 60_000);

  it('estimates a batch of WAVs without starting ffmpeg at all', async () => {
    const dir = path.join(root, 'batch');
    await writeBatchFiles(dir, 40);
    const jobs = planTranscribeJobs(await findAudioFiles([dir]), { kind: 'transcribe', outputDir: path.join(root, 'batch-out') });
    // An ffmpeg that does not exist: any probe through it would fail with TLA_ERR_FFMPEG_NOT_FOUND.
    const meter = await BatchCostMeter.create(jobs, { ffmpegPath: path.join(root, 'no-such-ffmpeg'), prices: {} });
    const estimate = await meter.estimateAll();
    expect(estimate.items.map((i) => i.durationMs)).toEqual(jobs.map(() => 850));
    expect(estimate.audioMs).toBe(40 * 850);
  }, 60_000);
});
