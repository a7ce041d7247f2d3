import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, availableFixtures, ensureFixtures, listFixtures } from '../../scripts/make-fixtures.js';
import { sniffAudio } from '../../src/codecs/sniff.js';

describe('make-fixtures', () => {
  it('is idempotent: a second run changes nothing', async () => {
    const before = availableFixtures().map((f) => statSync(path.join(FIXTURE_DIR, f.file)).mtimeMs);
    expect(await ensureFixtures()).toBe(FIXTURE_DIR);
    const after = availableFixtures().map((f) => statSync(path.join(FIXTURE_DIR, f.file)).mtimeMs);
    expect(after).toEqual(before);
  });

  it('covers every format for sine, noise and chirp (speech only with espeak-ng)', () => {
    const all = listFixtures({ speech: false });
    expect(all.length).toBe(3 * 21);
    for (const f of all) expect(statSync(path.join(FIXTURE_DIR, f.file)).size, f.file).toBeGreaterThan(100);
    const containers = new Set(all.map((f) => f.container));
    expect([...containers].sort()).toEqual(['aac', 'flac', 'mp3', 'mp4', 'ogg', 'pcm', 'wav', 'webm']);
    expect(listFixtures({ speech: true }).length).toBe(4 * 21);
  });

  it('keeps the fixtures small (a few seconds of audio each)', () => {
    let total = 0;
    for (const f of availableFixtures()) total += statSync(path.join(FIXTURE_DIR, f.file)).size;
    expect(total).toBeLessThan(16 * 1024 * 1024);
  });

  it('files are what their names say', () => {
    for (const f of availableFixtures().filter((x) => x.container !== 'pcm')) {
      expect(sniffAudio(readFileSync(path.join(FIXTURE_DIR, f.file)).subarray(0, 4096)).container, f.file).toBe(f.container);
    }
  });
});
