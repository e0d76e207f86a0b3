/**
 * A growable little-endian output buffer for the writers (pure). Blocks are appended
 * in place (no small allocation per packet) and handed out in large chunks by take().
 * A buffer handed out is never written again unless its owner gives it back (recycle())
 * once it is done with it: take() starts a fresh one, taken from the recycled ones or
 * allocated when the next block is written (ensure()), so a take() with nothing more to
 * come (the end of a small merge, a flush per batch) costs no 4 MiB allocation.
 *
 * Why recycle: a merge writes hundreds of MiB; a fresh 4 MiB buffer per chunk costs a
 * page fault per 4 KiB on first touch and external memory the GC must collect, and the
 * chunks waiting for collection were most of a merge's peak RSS.
 */
import { utf8Into } from '../model/utf8.js';

const EMPTY = new Uint8Array(0);
/** Stores through a Uint32Array are little-endian only on a little-endian machine. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes a plain loop copies faster than TypedArray.prototype.set (measured: ~20 bytes). */
const SMALL_COPY = 16;
/** Recycled buffers kept: one being filled while the sink writes the others. */
const MAX_SPARE = 2;

export class OutBuffer {
  private buf: Uint8Array;
  private view: DataView;
  /** The same memory as 32-bit words, for aligned stores (every pcapng field is aligned). */
  private words: Uint32Array;
  /** Write position (bytes buffered). */
  pos = 0;
  /** Buffers given back (recycle()), reused before allocating, each with how many of its first bytes were written. */
  private readonly spare: Array<{ buffer: ArrayBuffer; dirty: number }> = [];

  constructor(private readonly initialBytes = 4 * 1024 * 1024) {
    this.buf = EMPTY;
    this.view = new DataView(EMPTY.buffer);
    this.words = new Uint32Array(EMPTY.buffer);
  }

  /** take() at or past this many buffered bytes, so blocks land without growing (copying) the buffer. */
  get flushBytes(): number {
    return this.initialBytes - (this.initialBytes >>> 3);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const size = pad4(Math.max(this.buf.length * 2, this.pos + n, this.initialBytes, 64));
    const spare = this.spare.length > 0 && this.spare[this.spare.length - 1]!.buffer.byteLength >= size ? this.spare.pop() : undefined;
    let next: Uint8Array;
    if (spare === undefined) next = new Uint8Array(size);
    else {
      // The writers leave padding and end-of-options bytes unwritten: zeros, as in a new buffer.
      next = new Uint8Array(spare.buffer);
      next.fill(0, 0, spare.dirty);
    }
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.words = new Uint32Array(next.buffer);
  }

  /** Everything written since the last take(), as one chunk the caller owns. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = EMPTY;
    this.view = new DataView(EMPTY.buffer);
    this.words = new Uint32Array(EMPTY.buffer);
    this.pos = 0;
    return out;
  }

  /**
   * Gives back a chunk take() returned, once nothing reads it any more (its write has
   * completed): its memory is reused for later blocks. Keeps a few, of the usual size.
   */
  recycle(chunk: Uint8Array): void {
    const b = chunk.buffer;
    if (b.byteLength === pad4(this.initialBytes) && chunk.byteOffset === 0 && this.spare.length < MAX_SPARE && b !== this.buf.buffer && !this.spare.some((s) => s.buffer === b)) {
      this.spare.push({ buffer: b as ArrayBuffer, dirty: chunk.length });
    }
  }

  /** The buffer being filled (valid until the next ensure() or take()), for encoders that write into it. */
  get bytesView(): Uint8Array {
    return this.buf;
  }

  // The setters below write at an explicit offset and do not move pos (callers reserved room).
  u8(o: number, v: number): void {
    this.buf[o] = v;
  }
  u16(o: number, v: number): void {
    this.view.setUint16(o, v, true);
  }
  u32(o: number, v: number): void {
    if (LITTLE_ENDIAN_HOST && (o & 3) === 0) this.words[o >>> 2] = v;
    else this.view.setUint32(o, v, true);
  }
  bytes(o: number, src: Uint8Array): void {
    this.bytesOf(o, src, src.length);
  }
  /** The first n bytes of src at o. */
  bytesOf(o: number, src: Uint8Array, n: number): void {
    if (n > SMALL_COPY) {
      this.buf.set(n === src.length ? src : src.subarray(0, n), o);
      return;
    }
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[o + i] = src[i]!;
  }
  /**
   * Encodes s as UTF-8 at o and returns its byte length; the caller reserved 3 bytes per
   * UTF-16 unit. Hand-written so a comment per packet costs no allocation (TextEncoder
   * needs a view per call); lone surrogates become U+FFFD as TextEncoder would make them.
   */
  utf8(o: number, s: string): number {
    return utf8Into(this.buf, o, s) - o;
  }
}

/** Round up to a multiple of 4. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}
