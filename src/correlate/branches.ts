import type { PacketPath, PathCopy } from './path.js';

/**
 * The hop copy `i`'s latency is measured from: the previous hop (bridge device copies
 * are not hops) on the same branch, or on the trunk; for a branch's first hop, the
 * trunk's last hop before it. On a path that is not a tree, simply the previous hop.
 * Null when there is none.
 */
export function hopBefore(path: PacketPath, i: number): PathCopy | null {
  const copies = path.copies;
  const branch = copies[i]?.branch ?? null;
  for (let k = i - 1; k >= 0; k--) {
    const c = copies[k]!;
    if (c.hop === 0) continue;
    if (c.branch === null || c.branch === branch) return c;
  }
  return null;
}

/** Whether copy `i` is the last hop of its branch (on a path that is not a tree: of the path). */
export function isLastOnBranch(path: PacketPath, i: number): boolean {
  const copies = path.copies;
  const c = copies[i]!;
  if (path.branches.length === 0) return c.hop === path.hopCount;
  if (c.hop === 0) return false;
  for (let k = i + 1; k < copies.length; k++) {
    const d = copies[k]!;
    if (d.hop !== 0 && d.branch === c.branch) return false;
  }
  return true;
}
