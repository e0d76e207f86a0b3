/** What the chains need of an entry (a key's queue of open groups): its hash and two links. */
export interface Chained<G> {
  readonly hash: number;
  older: G | null;
  newer: G | null;
  /** True while in the chains (set by add and remove). */
  chained: boolean;
}

/**
 * Entries by fingerprint hash: a power-of-two table of doubly linked chains, newest
 * first. The correlator keeps one entry per key of open groups (`key-queue.ts`), so a
 * lookup walks only past keys whose hash shares the slot, never past identical packets.
 * Written out instead of a Map because it runs for every record and allocates nothing
 * per insert or removal; it grows (never shrinks) with the number of entries.
 */
export class GroupChains<G extends Chained<G>> {
  private slots: (G | null)[] = new Array<G | null>(1024).fill(null);
  private mask = 1023;
  private count = 0;

  /** The newest entry in the chain where `hash` lives (other hashes may share it: compare `hash`). */
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
      // Oldest first, so entries with one hash keep their order.
      for (let g: G | null = head; g !== null; ) {
        const next: G | null = g.newer;
        this.link(g);
        g = next;
      }
    }
  }
}
