import { DecodedFrame } from '../decode/frame.js';

/**
 * Decoded frames for open groups, recycled when a group closes: each record is decoded
 * once, and steady state allocates no frames. Holds at most as many frames as copies
 * were ever open at once.
 */
export class FramePool {
  private readonly free: DecodedFrame[] = [];

  take(): DecodedFrame {
    return this.free.pop() ?? new DecodedFrame();
  }

  give(f: DecodedFrame): void {
    f.data = EMPTY;
    this.free.push(f);
  }
}

const EMPTY = new Uint8Array(0);
