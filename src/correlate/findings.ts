import type { MissingCopy, PathFinding } from '../model/findings.js';
import { NONE } from './lazy-path.js';
import type { Loss, NotCaptured, PacketPath } from './path.js';

/**
 * A path's findings (model/findings.ts), from what correlation and the verdict set on
 * it. Pure, and cheap for the usual path that has none (the shared empty list, no
 * allocation): NDJSON asks for every path.
 *
 * In PATH_FINDING_CODES order: the losses; what the verdict leaves to say, which is
 * either AFTER_STOP (no verdict: nothing it lacks is claimed), one UNDETERMINED holding
 * every missing copy (they are one claim: it may have stopped before any of them), or a
 * NOT_CAPTURED per missing copy; then the flood, the NAT rewrites, TTL changes and MAC
 * rewrites, each in path order.
 */
export function pathFindings(path: PacketPath): readonly PathFinding[] {
  const { losses, notCaptured, verdict, flooded, nat, ttl, macRewrites } = path;
  if (
    losses.length === 0 && notCaptured.length === 0 && verdict !== 'after-stop' && verdict !== 'undetermined' &&
    flooded.length === 0 && nat.length === 0 && ttl.length === 0 && macRewrites.length === 0
  ) {
    return NONE;
  }
  const out: PathFinding[] = [];
  for (const l of losses) out.push({ code: 'PATH_LOST', after: l.after, before: l.before, branch: branchOf(path, l), where: l.where ?? null });
  if (verdict === 'after-stop') out.push({ code: 'AFTER_STOP' });
  else if (verdict === 'undetermined') out.push({ code: 'UNDETERMINED', missing: notCaptured.map(missingCopy) });
  else for (const n of notCaptured) out.push({ code: 'NOT_CAPTURED', ...missingCopy(n) });
  if (flooded.length > 0) out.push({ code: 'FLOODED', ports: flooded });
  for (const n of nat) out.push({ code: 'NAT_REWRITE', after: n.after, before: n.before, side: n.side, from: n.from, to: n.to });
  for (const t of ttl) out.push({ code: 'TTL_CHANGE', after: t.after, before: t.before, from: t.from, to: t.to });
  for (const m of macRewrites) out.push({ code: 'MAC_REWRITE', after: m.after, before: m.before, src: m.src, dst: m.dst });
  return out;
}

/** A fresh object with exactly the MissingCopy keys, in their documented order. */
function missingCopy(n: NotCaptured): MissingCopy {
  return { point: n.point, reason: n.reason, droppedByKernel: n.droppedByKernel };
}

/** The flood branch whose loss `l` is, by value (a path read back from JSON has no shared objects); null off a tree. */
function branchOf(path: PacketPath, l: Loss): string | null {
  for (const b of path.branches) if (b.lost !== null && b.lost.after === l.after && b.lost.before === l.before) return b.port;
  return null;
}
