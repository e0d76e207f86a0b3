import type { NotCaptured, PacketPath } from '../correlate/path.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import type { Topology } from '../model/topology.js';
import { paint } from './ansi.js';
import { formatClock, formatDirection, formatDuration, type TimeZone } from './format.js';
import { copyNote } from './notes.js';

export interface TimelineOptions {
  /** ANSI colour; the caller decides (TTY and no --no-color). Default false. */
  color?: boolean;
  /** Clock of the first copy's time. Default local. */
  timeZone?: TimeZone;
}

const TIME_WIDTH = 18; // 12:26:11.716018412

/**
 * The terminal timeline of packet paths:
 *
 *     #1  ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0  98 B
 *         12:26:11.716018412  box:eth0           out
 *                    +4.3 µs  host:veth854b6a5   in   bridge port of docker0
 *                             host:docker0       ··   bridge device copy (same kernel timestamp)
 *
 * then one line per loss, NAT rewrite, TTL change, MAC rewrite and flood. A flooded
 * frame's path is a tree: its trunk, then its branches (see renderTree).
 */
export class TimelineRenderer {
  private readonly topo: TopologyIndex;
  private readonly labelWidth: number;

  constructor(
    topology: Topology | TopologyIndex,
    private readonly options: TimelineOptions = {},
  ) {
    this.topo = topology instanceof TopologyIndex ? topology : new TopologyIndex(topology);
    this.labelWidth = Math.max(0, ...this.topo.points.map((p) => p.label.length)) + 3;
  }

  /** The lines for one path, each ending in a newline. */
  render(path: PacketPath): string {
    const c = paint(this.options.color ?? false);
    const lines = [`${c.bold(`#${path.id}`)}  ${path.summary}  ${path.length} B`];
    if (path.branches.length === 0) {
      for (let i = 0; i < path.copies.length; i++) lines.push(this.copyLine(path, i, ''));
      for (const l of path.losses) lines.push(`    ${c.red(`lost between ${l.after} and ${l.before}`)}`);
    } else {
      this.renderTree(path, lines);
    }
    for (const line of verdictLines(path)) lines.push(`    ${c.yellow(line)}`);
    if (path.flooded.length > 0) lines.push(`    flooded to ${path.flooded.length} bridge ports: ${path.flooded.join(', ')}`);
    for (const n of path.nat) lines.push(`    ${c.yellow(`NAT ${n.side} ${n.from} → ${n.to}`)} between ${n.after} and ${n.before}`);
    for (const t of path.ttl) lines.push(`    ${c.yellow(`TTL ${t.from} → ${t.to}`)} between ${t.after} and ${t.before}`);
    for (const m of path.macRewrites) {
      const parts: string[] = [];
      if (m.src !== null) parts.push(`src ${m.src.from} → ${m.src.to}`);
      if (m.dst !== null) parts.push(`dst ${m.dst.from} → ${m.dst.to}`);
      lines.push(`    MAC ${parts.join(', ')} between ${m.after} and ${m.before} (routed)`);
    }
    return lines.join('\n') + '\n';
  }

  /**
   * A flooded frame: the trunk's copies, then one block per branch drawn as a tree, each
   * with its own latencies and, where it stopped, its own loss:
   *
   *         12:26:11.716018412  a:eth0     out
   *                    +4.3 µs  host:va    in   bridge port of br
   *     ├─            +16.8 µs  host:vb    out  bridge port of br
   *     │              +1.6 µs  b:eth0     in   delivered
   *     └─            +17.0 µs  host:vc    out  bridge port of br
   *        lost between host:vc and c:eth0
   */
  private renderTree(path: PacketPath, lines: string[]): void {
    const c = paint(this.options.color ?? false);
    const { copies, branches } = path;
    for (let i = 0; i < copies.length; i++) if (copies[i]!.branch === null) lines.push(this.copyLine(path, i, ''));
    const inBranch = new Set(branches.map((b) => b.lost));
    branches.forEach((b, k) => {
      const last = k === branches.length - 1;
      let first = true;
      for (let i = 0; i < copies.length; i++) {
        if (copies[i]!.branch !== b.port) continue;
        lines.push(this.copyLine(path, i, first ? (last ? '└─' : '├─') : last ? '  ' : '│ '));
        first = false;
      }
      if (b.lost !== null) {
        const lost = c.red(`lost between ${b.lost.after} and ${b.lost.before}`);
        lines.push(`    ${first ? (last ? '└─' : '├─') : last ? '  ' : '│ '} ${lost}`);
      }
    });
    for (const l of path.losses) if (!inBranch.has(l)) lines.push(`    ${c.red(`lost between ${l.after} and ${l.before}`)}`);
  }

  /** Copy `i`'s line; `tree` (two columns, or '') is drawn left of its time column. */
  private copyLine(path: PacketPath, i: number, tree: string): string {
    const c = paint(this.options.color ?? false);
    const copy = path.copies[i]!;
    let time: string;
    if (i === 0) time = formatClock(copy.ts, this.options.timeZone ?? 'local');
    else if (copy.deltaNs === null || copy.deltaNs === 0) time = '';
    else time = `+${formatDuration(copy.deltaNs)}`;
    const width = TIME_WIDTH - tree.length;
    const timeCol = tree + (i === 0 ? time.padEnd(width) : c.cyan(time.padStart(width)).padStart(width));
    const dir = copy.role === 'bridge' ? '··' : formatDirection(copy.direction);
    const note = copyNote(path, i, this.topo);
    const styledNote = note === 'delivered' || note.endsWith(', delivered') ? c.green(note) : copy.role === 'bridge' ? c.dim(note) : note;
    return `    ${timeCol}  ${copy.label.padEnd(this.labelWidth)}${dir.padEnd(5)}${styledNote}`.trimEnd();
  }
}

/** What the timeline says of a path that lacks copies the network did not lose (or may not have). */
export function verdictLines(path: PacketPath): string[] {
  if (path.verdict === 'after-stop') return ['after the stop: no verdict'];
  if (path.notCaptured.length === 0) return [];
  const missed = path.notCaptured.map((g) => `${g.point} (${gapWords(g)})`).join(', ');
  if (path.verdict === 'undetermined') return [`undetermined: no copy at ${missed}`];
  return [`not captured at ${missed}`];
}

function gapWords(g: NotCaptured): string {
  switch (g.reason) {
    case 'kernel-drops':
      return g.droppedByKernel === null ? 'its capture dropped packets then' : `its capture dropped ${g.droppedByKernel} packets then`;
    case 'point-ended':
      return 'its capture had ended';
    case 'not-read':
      return 'its capture was not read that far';
    case 'ambiguous':
      return 'identical packets, order cannot tell which';
    case 'gap':
      return 'capture gap';
  }
}

/** One path as timeline text (builds a renderer each call; keep a TimelineRenderer for many). */
export function renderTimeline(path: PacketPath, topology: Topology | TopologyIndex, options: TimelineOptions = {}): string {
  return new TimelineRenderer(topology, options).render(path);
}
