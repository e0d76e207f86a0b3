import type { Chained } from './group-chains.js';

/** What a queue needs of a group: the position it gives it. */
export interface Queued {
  /** Position in its queue, from 0 for the queue's first group; only grows. */
  seq: number;
}

/**
 * The open groups of one key (byte-identical invariants: identical packets), oldest
 * first; the correlator makes one only when a second group with a key opens (a key
 * with one packet, nearly all of them, needs no cursors). Groups close in creation order, so a group leaves from the
 * front. For each capture point a cursor marks the oldest group a copy at that point
 * may still join: copies of identical packets pass each point in the order they were
 * sent, so the k-th copy at a point goes to the k-th packet and later copies never go
 * back. Each lookup starts at the cursor, which makes an identical burst linear where
 * a walk over all open groups of the key was quadratic.
 *
 * Positions are `seq` numbers (doubles: they never wrap) so that cursors need no
 * adjustment when the front leaves or the array is compacted.
 */
export class KeyQueue<G extends Queued, E> implements Chained<E> {
  /** Tells a queue from a lone group where both sit in the same hash chains (`E`). */
  readonly isQueue = true;
  hash = 0;
  older: E | null = null;
  newer: E | null = null;
  chained = false;
  /** Per point: the seq of the first group a copy at that point may still join. */
  readonly cursor: Float64Array;
  /**
   * Per point: a copy there joined an older group while the groups before this seq were
   * rival candidates. Those that end without a copy at the point were contended there.
   */
  readonly contendedTo: Float64Array;
  /** Some copy had a rival candidate: groups leaving this queue need the per-point check. */
  contended = false;
  /** items[head..tail) are the open groups; slots outside it hold undefined and are reused. */
  private items: (G | undefined)[] = [];
  private head = 0;
  private tail = 0;
  /** The seq of items[0]. */
  private base = 0;

  constructor(points: number) {
    this.cursor = new Float64Array(points);
    this.contendedTo = new Float64Array(points);
  }

  /** Empty, for a new key (a queue is pooled once its last group leaves); the slots array keeps its length. */
  reset(hash: number): void {
    this.hash = hash;
    this.head = 0;
    this.tail = 0;
    this.base = 0;
    const n = this.cursor.length;
    for (let i = 0; i < n; i++) this.cursor[i] = 0;
    if (this.contended) for (let i = 0; i < n; i++) this.contendedTo[i] = 0;
    this.contended = false;
  }

  /** Seq of the oldest group. */
  get start(): number {
    return this.base + this.head;
  }

  /** Seq the next group will get. */
  get end(): number {
    return this.base + this.tail;
  }

  get empty(): boolean {
    return this.head === this.tail;
  }

  front(): G {
    return this.items[this.head]!;
  }

  /** The group at `seq` (start ≤ seq < end). */
  at(seq: number): G {
    return this.items[seq - this.base]!;
  }

  push(g: G): void {
    g.seq = this.base + this.tail;
    if (this.tail === this.items.length) this.items.push(g);
    else this.items[this.tail] = g;
    this.tail++;
  }

  /** Drop the oldest group (the one closing). */
  shift(): void {
    const items = this.items;
    items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.base += this.head;
      this.head = 0;
      this.tail = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      const n = this.tail - this.head;
      for (let i = 0; i < n; i++) {
        items[i] = items[this.head + i];
        items[this.head + i] = undefined;
      }
      this.base += this.head;
      this.head = 0;
      this.tail = n;
    }
  }
}
