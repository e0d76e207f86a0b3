/** What the chains need of a group: its hash and two links. */
export interface Chained<G> {
  readonly hash: number;
  older: G | null;
  newer: G | null;
  /** True while in the chains (set by add and remove). */
  chained: boolean;
}

/**
 * Open groups by fingerprint hash: a power-of-two table of doubly linked chains, newest
 * first, so a lookup walks from the most recent group with that hash to the oldest.
 * Written out instead of a Map because it runs twice per record and allocates nothing
 * per insert or removal; it grows (never shrinks) with the number of open groups.
 */
export class GroupChains<G extends Chained<G>> {
  private slots: (G | null)[] = new Array<G | null>(1024).fill(null);
  private mask = 1023;
  private count = 0;

  /** The newest group in the chain where `hash` lives (other hashes may share it: compare `hash`). */
  first(hash: number): G | null {
    return this.slots[hash & this.mask]!;
  }

  add(g: G): void {
    if (++this.count > this.slots.length) this.grow();
    this.link(g);
    g.chained = true;
  }

  remove(g: G): void {
    if (g.newer !== null) g.newer.older = g.older;
    else this.slots[g.hash & this.mask] = g.older;
    if (g.older !== null) g.older.newer = g.newer;
    g.older = null;
    g.newer = null;
    g.chained = false;
    this.count--;
  }

  private link(g: G): void {
    const i = g.hash & this.mask;
    const head = this.slots[i]!;
    g.older = head;
    g.newer = null;
    if (head !== null) head.newer = g;
    this.slots[i] = g;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Array<G | null>(old.length * 2).fill(null);
    this.mask = this.slots.length - 1;
    for (let head of old) {
      if (head === null) continue;
      while (head.older !== null) head = head.older;
      // Oldest first, so groups with one hash keep their order.
      for (let g: G | null = head; g !== null; ) {
        const next: G | null = g.newer;
        this.link(g);
        g = next;
      }
    }
  }
}
