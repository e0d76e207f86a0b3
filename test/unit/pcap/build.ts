/** Builds small pcap/pcapng files byte by byte for the reader tests (either byte order). */

export class Bytes {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]!);
    return this;
  }
  pad(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = new TextEncoder();
export type Opt = [code: number, value: Uint8Array];
export const strOpt = (code: number, s: string): Opt => [code, text.encode(s)];
export const u8Opt = (code: number, v: number): Opt => [code, Uint8Array.of(v)];

function options(le: boolean, opts: Opt[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const b = new Bytes(le);
  for (const [code, v] of opts) b.u16(code).u16(v.length).raw(v).pad();
  return b.u16(0).u16(0).bytes();
}

/** A block: type, length, body, options, length. */
export function block(le: boolean, type: number, body: Uint8Array, opts: Opt[] = []): Uint8Array {
  const o = options(le, opts);
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded + o.length;
  const b = new Bytes(le).u32(type).u32(len).raw(body).pad().raw(o).u32(len);
  return b.bytes();
}

export function shb(le: boolean, opts: Opt[] = [], major = 1, minor = 0): Uint8Array {
  return block(le, 0x0a0d0d0a, new Bytes(le).u32(0x1a2b3c4d).u16(major).u16(minor).u32(0xffffffff).u32(0xffffffff).bytes(), opts);
}

export function idb(le: boolean, linkType: number, snaplen: number, opts: Opt[] = []): Uint8Array {
  return block(le, 1, new Bytes(le).u16(linkType).u16(0).u32(snaplen).bytes(), opts);
}

export function epb(le: boolean, ifc: number, ts: bigint, data: Uint8Array, origLen = data.length, opts: Opt[] = []): Uint8Array {
  const body = new Bytes(le).u32(ifc).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(origLen).raw(data);
  return block(le, 6, body.bytes(), opts);
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).bytes());
}

export function pb(le: boolean, ifc: number, ts: bigint, data: Uint8Array): Uint8Array {
  const body = new Bytes(le).u16(ifc).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(data.length).raw(data);
  return block(le, 2, body.bytes());
}

export function isb(le: boolean, ifc: number, ts: bigint, opts: Opt[] = []): Uint8Array {
  return block(le, 5, new Bytes(le).u32(ifc).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).bytes(), opts);
}

export function u64Opt(le: boolean, code: number, v: bigint): Opt {
  return [code, new Bytes(le).u64(v).bytes()];
}
/** A timestamp option (isb_starttime/endtime): high 32 bits then low 32 bits, each in section order. */
export function tsOpt(le: boolean, code: number, v: bigint): Opt {
  return [code, new Bytes(le).u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn)).bytes()];
}
export function u32Opt(le: boolean, code: number, v: number): Opt {
  return [code, new Bytes(le).u32(v).bytes()];
}

export function pcapHeader(le: boolean, nano: boolean, linkType: number, snaplen = 65535, major = 2, minor = 4): Uint8Array {
  return new Bytes(le).u32(nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(major).u16(minor).u32(0).u32(0).u32(snaplen).u32(linkType).bytes();
}

export function pcapRecord(le: boolean, sec: number, frac: number, data: Uint8Array, origLen = data.length): Uint8Array {
  return new Bytes(le).u32(sec).u32(frac).u32(data.length).u32(origLen).raw(data).bytes();
}

export function payload(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** A file with every kind of unit, used by the chunking and truncation tests. */
export function mixedPcapng(): Uint8Array {
  return concat(
    shb(true, [strOpt(4, 'x')]), idb(true, 1, 0, [u8Opt(9, 9), strOpt(2, 'a')]),
    epb(true, 0, 1n, payload(13), 13, [strOpt(1, 'c')]), block(true, 0xbad, payload(8)),
    spb(true, 5, payload(5)), isb(true, 0, 3n, [u64Opt(true, 4, 1n)]),
    shb(false), idb(false, 113, 65535), epb(false, 0, 2n, payload(70)), pb(false, 0, 3n, payload(1)),
  );
}

export function mixedPcap(): Uint8Array {
  return concat(pcapHeader(false, true, 1), pcapRecord(false, 1, 2, payload(21)), pcapRecord(false, 3, 4, payload(0)), pcapRecord(false, 5, 6, payload(64)));
}
