import { InputError } from '../errors.js';

/** Throws InputError (`TLA_ERR_RING_RANGE`) unless `buf[offset, offset + length)` is a range of a Uint8Array. */
export function checkRange(buf: Uint8Array, offset: number, length: number, op: string): void {
  // `x % 1 === 0` is Number.isInteger in fewer bytecodes (NaN and Infinity fail it too): this runs
  // inline in every read and write, and V8 inlines by bytecode size.
  if (!(buf instanceof Uint8Array && offset >= 0 && length >= 0 && offset + length <= buf.length && offset % 1 === 0 && length % 1 === 0)) {
    throw rangeError(buf, offset, length, op);
  }
}

function rangeError(buf: unknown, offset: number, length: number, op: string): InputError {
  if (!(buf instanceof Uint8Array)) {
    return new InputError(`RingBuffer.${op}: expected a Uint8Array or Buffer, got ${describe(buf)}.`, 'TLA_ERR_RING_RANGE');
  }
  return new InputError(
    `RingBuffer.${op}: offset ${String(offset)} and length ${String(length)} must be whole numbers within the buffer's ${buf.length} bytes.`,
    'TLA_ERR_RING_RANGE',
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
