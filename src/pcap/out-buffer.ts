/**
 * A growable little-endian output buffer for the writers (pure). Blocks are appended
 * in place (no small allocation per packet) and handed out in large chunks by take().
 * A buffer handed out is never written again: take() starts a fresh one.
 */

const encoder = new TextEncoder();

export class OutBuffer {
  private buf: Uint8Array;
  private view: DataView;
  /** Write position (bytes buffered). */
  pos = 0;

  constructor(private readonly initialBytes = 4 * 1024 * 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Everything written since the last take(), as one chunk the caller owns. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(Math.max(this.initialBytes, 64));
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    return out;
  }

  // The setters below write at an explicit offset and do not move pos (callers reserved room).
  u8(o: number, v: number): void {
    this.buf[o] = v;
  }
  u16(o: number, v: number): void {
    this.view.setUint16(o, v, true);
  }
  u32(o: number, v: number): void {
    this.view.setUint32(o, v, true);
  }
  bytes(o: number, src: Uint8Array): void {
    this.buf.set(src, o);
  }
  /** Encodes s as UTF-8 at o (room for 3 bytes per UTF-16 unit must be reserved); returns its byte length. */
  utf8(o: number, s: string): number {
    return encoder.encodeInto(s, this.buf.subarray(o)).written;
  }
}

/** Round up to a multiple of 4. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}
