/**
 * Encodes an odd-length symmetric prototype as its centre tap and right half, float64 little-endian
 * in base64 ('' for a failed design). Float64, because the polyphase table is derived from the
 * prototype in float64: shipped and freshly designed filters must give bit-identical output.
 * @internal
 */
export function encodePrototype(h: Float64Array | null): string {
  if (h === null) return '';
  const K = (h.length - 1) / 2;
  const bytes = Buffer.alloc((K + 1) * 8);
  for (let m = 0; m <= K; m++) bytes.writeDoubleLE(h[K + m]!, m * 8);
  return bytes.toString('base64');
}

/**
 * The inverse of {@link encodePrototype}: the whole symmetric prototype, or null for ''.
 * @internal
 */
export function decodePrototype(text: string): Float64Array | null {
  if (text === '') return null;
  const bytes = Buffer.from(text, 'base64');
  const K = bytes.length / 8 - 1;
  const h = new Float64Array(2 * K + 1);
  for (let m = 0; m <= K; m++) {
    const v = bytes.readDoubleLE(m * 8);
    h[K + m] = v;
    h[K - m] = v;
  }
  return h;
}
