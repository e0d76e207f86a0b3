/**
 * The pcapng header blocks vethcap writes (pure): the SHB and one IDB per capture point.
 */
import type { OutBuffer } from './out-buffer.js';
import { pad4 } from './out-buffer.js';
import { BOM, BT_IDB, BT_SHB } from './pcapng-state.js';
import { VETHCAP_USER_APPL } from '../version.js';

export interface PcapngInterfaceSpec {
  /** if_name: the point label, e.g. `box:eth0`. */
  name: string;
  /** if_description. */
  description?: string;
  /** if_filter (a libpcap filter string), when known. */
  filter?: string;
  /** LINKTYPE_ value; Ethernet when not told. */
  linkType?: number;
}

export interface PcapngWriterOptions {
  interfaces: readonly PcapngInterfaceSpec[];
  /** One snap length for every IDB; longer frames are cut to it. Default 262144. */
  snaplen?: number;
  /** shb_userappl; default "vethcap 0.1.0". */
  userAppl?: string;
  /** shb_os, e.g. "Linux 6.1.0" (the file sink fills it in from node:os). */
  os?: string;
  /** shb_hardware. */
  hardware?: string;
  /** opt_comment on the section header. */
  comment?: string;
}

/** Writes a block: header, fixed body (`fixed` bytes written by `body`), options, trailer. */
function block(out: OutBuffer, type: number, fixed: number, body: (o: number) => void, options: [number, Uint8Array][]): void {
  let size = 12 + fixed;
  for (const [, v] of options) size += 4 + pad4(v.length);
  if (options.length > 0) size += 4;
  out.ensure(size);
  const start = out.pos;
  out.u32(start, type);
  out.u32(start + 4, size);
  body(start + 8);
  let o = start + 8 + fixed;
  for (const [code, v] of options) {
    out.u16(o, code);
    out.u16(o + 2, v.length);
    out.bytes(o + 4, v);
    o += 4 + pad4(v.length);
  }
  if (options.length > 0) o += 4;
  out.u32(o, size);
  out.pos = o + 4;
}

/** Appends the Section Header Block (little-endian, version 1.0, unknown section length). */
export function writeShb(out: OutBuffer, opts: PcapngWriterOptions): void {
  const options: [number, Uint8Array][] = [];
  const text = new TextEncoder();
  if (opts.comment !== undefined) options.push([1, text.encode(opts.comment)]);
  if (opts.hardware !== undefined) options.push([2, text.encode(opts.hardware)]);
  if (opts.os !== undefined) options.push([3, text.encode(opts.os)]);
  options.push([4, text.encode(opts.userAppl ?? VETHCAP_USER_APPL)]);
  block(out, BT_SHB, 16, (o) => {
    out.u32(o, BOM);
    out.u16(o + 4, 1);
    out.u16(o + 6, 0);
    out.u32(o + 8, 0xffffffff); // section length: unknown (-1)
    out.u32(o + 12, 0xffffffff);
  }, options);
}

/** Appends an Interface Description Block with nanosecond resolution. */
export function writeIdb(out: OutBuffer, spec: PcapngInterfaceSpec, snaplen: number): void {
  const text = new TextEncoder();
  const options: [number, Uint8Array][] = [[2, text.encode(spec.name)]];
  if (spec.description !== undefined) options.push([3, text.encode(spec.description)]);
  options.push([9, Uint8Array.of(9)]); // if_tsresol: 10^-9 s
  if (spec.filter !== undefined) {
    const f = text.encode(spec.filter);
    const v = new Uint8Array(f.length + 1); // filter type 0: libpcap filter string
    v.set(f, 1);
    options.push([11, v]);
  }
  block(out, BT_IDB, 8, (o) => {
    out.u16(o, spec.linkType ?? 1);
    out.u16(o + 2, 0);
    out.u32(o + 4, snaplen);
  }, options);
}
