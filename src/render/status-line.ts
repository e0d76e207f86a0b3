/** The live status line on stderr (pure). */

import type { PointStatus } from '../pipeline/source.js';
export type { PointStatus } from '../pipeline/source.js';

/** Below this much capture not read yet, vethcap is keeping up and the line says nothing of it. */
const BEHIND_BYTES = 1024 * 1024;

/**
 * `unreadBytes`: capture the tcpdumps wrote and vethcap has not read yet. When it is large,
 * vethcap is behind a burst and the timeline is late: the line says by how much.
 */
export function renderStatusLine(points: readonly PointStatus[], paths: number, elapsedMs: number, width = 120, unreadBytes = 0): string {
  const armed = points.filter((p) => p.armed).length;
  const parts = points.map((p) => `${p.label} ${p.packets}${p.dropped ? ` (${p.dropped} dropped)` : ''}${p.ended ? ' (ended)' : ''}`);
  const behind = unreadBytes >= BEHIND_BYTES ? ` · behind: ${(unreadBytes / (1024 * 1024)).toFixed(0)} MiB to read` : '';
  const line = `[${(elapsedMs / 1000).toFixed(1)} s] armed ${armed}/${points.length} · ${paths} paths${behind} · ${parts.join(' · ')}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}
