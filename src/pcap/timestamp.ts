/**
 * Timestamp arithmetic for capture files, exact to the nanosecond without a bigint per
 * packet. A pcapng timestamp is a 64-bit count of units (hi, lo); dividing it by the
 * units per second is done as long division in base 2^16 so every intermediate value
 * stays below 2^53. Unusual resolutions (finer than 1 ns, or 2^-33 and beyond) take a
 * bigint path; nobody writes those on the hot path.
 */

/** How to turn a unit count into seconds and nanoseconds. */
export interface TsResolution {
  /** Units per second as a number (may be inexact for absurd resolutions). */
  readonly unitsPerSecond: number;
  /** 'pow10': 10^k units/s, k <= 9; 'pow2': 2^k units/s, k <= 32; 'big': anything else. */
  readonly kind: 'pow10' | 'pow2' | 'big';
  /** The exponent k. */
  readonly exp: number;
  /** pow10: nanoseconds per unit (10^(9-k)). */
  readonly nsPerUnit: number;
  /** big: units per second exactly. */
  readonly bigUnits: bigint;
}

/** Scratch output of the conversion functions (avoids an object per packet). */
export interface MutableTs {
  tsSec: number;
  tsNsec: number;
}

/** The resolution an if_tsresol byte describes; undefined byte means microseconds. */
export function tsResolution(tsresol: number | undefined): TsResolution {
  const raw = tsresol ?? 6;
  const exp = raw & 0x7f;
  const pow2 = (raw & 0x80) !== 0;
  if (!pow2 && exp <= 9) {
    return { unitsPerSecond: 10 ** exp, kind: 'pow10', exp, nsPerUnit: 10 ** (9 - exp), bigUnits: 10n ** BigInt(exp) };
  }
  if (pow2 && exp <= 32) {
    return { unitsPerSecond: 2 ** exp, kind: 'pow2', exp, nsPerUnit: 0, bigUnits: 1n << BigInt(exp) };
  }
  const bigUnits = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  return { unitsPerSecond: Number(bigUnits), kind: 'big', exp, nsPerUnit: 0, bigUnits };
}

/** Microsecond and nanosecond resolutions, shared. */
export const RES_MICRO = tsResolution(6);
export const RES_NANO = tsResolution(9);

/** Converts the 64-bit unit count hi:lo into `out` (seconds, nanoseconds; nanoseconds truncated). */
export function unitsToTs(hi: number, lo: number, res: TsResolution, out: MutableTs): void {
  if (res.kind === 'pow10') {
    const d = res.unitsPerSecond;
    // Long division of the four 16-bit limbs by d (< 2^30): remainders stay < 2^46.
    let cur = hi >>> 16;
    let q = Math.floor(cur / d);
    let r = cur - q * d;
    cur = r * 65536 + (hi & 0xffff);
    let qd = Math.floor(cur / d);
    r = cur - qd * d;
    q = q * 65536 + qd;
    cur = r * 65536 + (lo >>> 16);
    qd = Math.floor(cur / d);
    r = cur - qd * d;
    q = q * 65536 + qd;
    cur = r * 65536 + (lo & 0xffff);
    qd = Math.floor(cur / d);
    r = cur - qd * d;
    out.tsSec = q * 65536 + qd;
    out.tsNsec = r * res.nsPerUnit;
    return;
  }
  if (res.kind === 'pow2') {
    const k = res.exp;
    const d = 2 ** k;
    // hi * 2^32 / 2^k + floor(lo / 2^k); remainder r = lo mod 2^k when k <= 32.
    const r = lo % d;
    out.tsSec = hi * 2 ** (32 - k) + Math.floor(lo / d);
    // r * 1e9 / 2^k exactly, floored: 1e9 = 2^9 * 1953125 keeps the product below 2^53.
    out.tsNsec = k >= 9 ? Math.floor((r * 1953125) / 2 ** (k - 9)) : Math.floor((r * 1e9) / d);
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  out.tsSec = Number(v / res.bigUnits);
  out.tsNsec = Number(((v % res.bigUnits) * 1_000_000_000n) / res.bigUnits);
}

/**
 * Classic pcap: whole seconds plus a fraction in units of 1/unitsPerSecond. A fraction
 * past one second (seen in damaged files) is carried into the seconds.
 */
export function classicToTs(sec: number, frac: number, unitsPerSecond: number, out: MutableTs): void {
  if (frac < unitsPerSecond) {
    out.tsSec = sec;
    out.tsNsec = unitsPerSecond === 1e9 ? frac : frac * 1000;
    return;
  }
  const carry = Math.floor(frac / unitsPerSecond);
  const rest = frac - carry * unitsPerSecond;
  out.tsSec = sec + carry;
  out.tsNsec = unitsPerSecond === 1e9 ? rest : rest * 1000;
}

/** Scratch for nsToUnits64. */
export interface MutableU64 {
  hi: number;
  lo: number;
}

/** tsSec * 1e9 + tsNsec as a 64-bit (hi, lo) pair, exact for any tsSec below 2^34. */
export function nsToUnits64(tsSec: number, tsNsec: number, out: MutableU64): void {
  const sHi = Math.floor(tsSec / 65536);
  const sLo = tsSec - sHi * 65536;
  const a = sHi * 1e9; // < 2^48
  const b = sLo * 1e9 + tsNsec; // < 2^46
  const aHi = Math.floor(a / 65536);
  const aLo = a - aHi * 65536;
  const c = aLo * 65536 + b; // < 2^47
  const cHi = Math.floor(c / 4294967296);
  out.hi = aHi + cHi;
  out.lo = c - cHi * 4294967296;
}
