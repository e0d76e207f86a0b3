/**
 * Big-endian reads from captured bytes. Callers check bounds before reading a header
 * (one length test per header, like tcpdump's ND_TCHECK), so these do not.
 */

export function u8(d: Uint8Array, o: number): number {
  return d[o]!;
}

export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

/** Unsigned 32-bit. */
export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/** A 6-byte MAC address as a 48-bit integer (exact in a double). */
export function mac48(d: Uint8Array, o: number): number {
  return ((d[o]! << 8) | d[o + 1]!) * 0x1_0000_0000 + u32(d, o + 2);
}

/**
 * True when the n bytes of a from ao equal the n bytes of b from bo (callers check that
 * both ranges are in bounds). A plain loop: the spans compared here are short, and V8
 * inlines it where the correlator compares every copy.
 */
export function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
