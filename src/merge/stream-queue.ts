import type { CaptureRecord } from '../model/record.js';

/**
 * The records of one capture point not yet released, oldest first. A FIFO over an array
 * with a moving head (compacted now and then), so steady-state pushing and shifting
 * allocates nothing. A record older than the tail (a point's own stream is almost
 * always in order, but not guaranteed to be) is inserted in its place.
 */
export class StreamQueue {
  private items: (CaptureRecord | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): CaptureRecord | undefined {
    return this.items[this.head];
  }

  /** Add a record in timestamp order; returns true when it became the new head. */
  push(r: CaptureRecord): boolean {
    const items = this.items;
    let i = items.length;
    // Walk back over later records (stable: equal timestamps keep arrival order).
    while (i > this.head) {
      const prev = items[i - 1]!;
      if (prev.tsSec < r.tsSec || (prev.tsSec === r.tsSec && prev.tsNsec <= r.tsNsec)) break;
      i--;
    }
    if (i === items.length) items.push(r);
    else items.splice(i, 0, r);
    return i === this.head;
  }

  shift(): CaptureRecord | undefined {
    const r = this.items[this.head];
    if (r === undefined) return undefined;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }
}
