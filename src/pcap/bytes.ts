/** Small byte helpers shared by the readers and writers (pure). */

export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** A 64-bit unsigned value as a bigint (off the hot path only). */
export function u64(b: Uint8Array, o: number, le: boolean): bigint {
  const first = u32(b, o, le);
  const second = u32(b, o + 4, le);
  const hi = le ? second : first;
  const lo = le ? first : second;
  // Below 2^53 the double is exact: one BigInt instead of four.
  if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Up to `n` bytes from `o` as space-separated hex, for error messages. */
export function hexPreview(b: Uint8Array, o: number, n: number): string {
  const parts: string[] = [];
  for (let i = o; i < Math.min(b.length, o + n); i++) parts.push(b[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 text of a byte range, with trailing NULs removed (pcapng pads some strings). */
export function utf8(b: Uint8Array, start: number, end: number): string {
  let e = end;
  while (e > start && b[e - 1] === 0) e--;
  return decoder.decode(b.subarray(start, e));
}
