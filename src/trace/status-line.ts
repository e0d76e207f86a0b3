/** The live status line on stderr (pure). */

export interface PointStatus {
  label: string;
  packets: number;
  armed: boolean;
  ended: boolean;
  /** Packets the kernel dropped at this point so far (tcpdump's count), null before it answered. */
  dropped: number | null;
}

export function renderStatusLine(points: readonly PointStatus[], paths: number, elapsedMs: number, width = 120): string {
  const armed = points.filter((p) => p.armed).length;
  const parts = points.map((p) => `${p.label} ${p.packets}${p.dropped ? ` (${p.dropped} dropped)` : ''}${p.ended ? ' (ended)' : ''}`);
  const line = `[${(elapsedMs / 1000).toFixed(1)} s] armed ${armed}/${points.length} · ${paths} paths · ${parts.join(' · ')}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}
