import { describe, expect, it } from 'vitest';
import { RealFft } from '../../src/core/real-fft.js';
import { InputError } from '../../src/core/errors.js';
import { seededRandom } from '../../scripts/seeded-random.js';

describe('RealFft', () => {
  it.each([4, 8, 64, 512, 1024])('matches a direct DFT at n = %i', (n) => {
    const fft = new RealFft(n);
    const r = seededRandom(n);
    const x = Array.from({ length: n }, () => r() * 2 - 1);
    fft.re.set(x);
    fft.transform();
    let worst = 0;
    for (let k = 0; k <= n / 2; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        sr += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
        si -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
      }
      worst = Math.max(worst, Math.abs(fft.re[k]! - sr), Math.abs(fft.im[k]! - si));
    }
    expect(worst).toBeLessThan(1e-9 * n);
  });

  it('refuses sizes that are not powers of two', () => {
    expect(() => new RealFft(48)).toThrow(InputError);
    expect(() => new RealFft(2)).toThrow(InputError);
  });
});
