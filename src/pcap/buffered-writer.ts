/**
 * What the pcap and pcapng writers share (pure): one OutBuffer their blocks are appended
 * to, and how its bytes are handed out (buffered, shouldTake, take) and many packets
 * written. Each writer adds its own header and record format.
 */
import { OutBuffer } from './out-buffer.js';

export abstract class BufferedWriter<P> {
  protected readonly out: OutBuffer;

  /** chunkBytes: the size of the buffer take() hands out (4 MiB when not told). */
  protected constructor(chunkBytes?: number) {
    this.out = new OutBuffer(chunkBytes);
  }

  /** Bytes buffered since the last take(). */
  get buffered(): number {
    return this.out.pos;
  }

  /** True once enough is buffered that the caller should take() (7/8 of the chunk size). */
  get shouldTake(): boolean {
    return this.out.pos >= this.out.flushBytes;
  }

  /** The bytes written since the last take(), as one chunk (never touched again by the writer). */
  take(): Uint8Array {
    return this.out.take();
  }

  /** Gives back a chunk take() returned, once its write has completed: its memory is reused. */
  recycle(chunk: Uint8Array): void {
    this.out.recycle(chunk);
  }

  /** Appends one packet. */
  abstract write(p: P): void;

  /** Appends many packets. */
  writeAll(packets: readonly P[]): void {
    for (let i = 0; i < packets.length; i++) this.write(packets[i]!);
  }
}
