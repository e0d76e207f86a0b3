import { pathFindings } from '../correlate/findings.js';
import type { PacketPath } from '../correlate/path.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import type { PathFinding, PathFindingCode, PathLostFinding } from '../model/findings.js';
import type { Topology } from '../model/topology.js';
import { paint, type Paint } from './ansi.js';
import { findingText } from './findings.js';
import { formatClock, formatDirection, formatDuration, type TimeZone } from './format.js';
import { copyNote } from './notes.js';
import { utf8Into } from '../model/utf8.js';

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
 * then one line per finding (render/findings.ts): losses, what the verdict leaves to say,
 * flood, NAT rewrites, TTL changes, MAC rewrites. A flooded frame's path is a tree: its
 * trunk, then its branches (see renderTree), each with its own losses.
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

  /**
   * render(path) as UTF-8 into `out` from `at` (at most `room` bytes); returns the byte
   * count, or -1 when it does not write this path (colour, a tree, findings, or too little
   * room): then render() it. A timeline written to a file shows every packet; as strings,
   * its lines (padded, joined, trimmed, then encoded) cost more than the merge around them.
   */
  readonly encode = (path: PacketPath, out: Uint8Array, at: number, room: number): number => {
    if (this.options.color === true || path.branches.length !== 0 || pathFindings(path).length !== 0) return -1;
    const copies = path.copies;
    const summary = path.summary;
    if (room < 64 + summary.length * 3 + copies.length * (TIME_WIDTH + this.labelWidth + 16)) return -1;
    const end = at + room;
    out[at] = 0x23; // '#'
    let o = utf8Into(out, at + 1, String(path.id));
    o = spaces(out, o, 2);
    o = utf8Into(out, o, summary);
    o = spaces(out, o, 2);
    o = utf8Into(out, o, String(path.length));
    out[o++] = 0x20;
    out[o++] = 0x42; // 'B'
    out[o++] = 0x0a;
    for (let i = 0; i < copies.length; i++) {
      const copy = copies[i]!;
      const note = copyNote(path, i, this.topo);
      const label = copy.label;
      // Room checked above is for the fixed parts and the label; the note is checked here.
      if (o + 64 + TIME_WIDTH + label.length * 3 + this.labelWidth + note.length * 3 > end) return -1;
      // The line is trimmed at its end: a note that ends in white space is left to render().
      if (note !== '' && note.trimEnd().length !== note.length) return -1;
      o = spaces(out, o, 4);
      if (i === 0) {
        const time = formatClock(copy.ts, this.options.timeZone ?? 'local');
        o = utf8Into(out, o, time);
        o = spaces(out, o, TIME_WIDTH - time.length);
      } else {
        const time = copy.deltaNs === null || copy.deltaNs === 0 ? '' : `+${formatDuration(copy.deltaNs)}`;
        o = spaces(out, o, TIME_WIDTH - time.length);
        o = utf8Into(out, o, time);
      }
      o = spaces(out, o, 2);
      o = utf8Into(out, o, label);
      o = spaces(out, o, this.labelWidth - label.length);
      const dir = copy.role === 'bridge' ? '··' : formatDirection(copy.direction);
      o = utf8Into(out, o, dir);
      if (note !== '') {
        o = spaces(out, o, 5 - dir.length);
        o = utf8Into(out, o, note);
      }
      // As render()'s trimEnd(): without a note the line ends at the direction, unpadded.
      out[o++] = 0x0a;
    }
    return o - at;
  };

  /** The lines for one path, each ending in a newline. */
  render(path: PacketPath): string {
    const c = paint(this.options.color ?? false);
    const lines = [`${c.bold(`#${path.id}`)}  ${path.summary}  ${path.length} B`];
    const findings = pathFindings(path);
    if (path.branches.length === 0) {
      for (let i = 0; i < path.copies.length; i++) lines.push(this.copyLine(path, i, ''));
      for (const f of findings) if (f.code === 'PATH_LOST') lines.push(`    ${findingLine(f, c)}`);
    } else {
      this.renderTree(path, findings, lines);
    }
    for (const f of findings) if (f.code !== 'PATH_LOST') lines.push(`    ${findingLine(f, c)}`);
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
  private renderTree(path: PacketPath, findings: readonly PathFinding[], lines: string[]): void {
    const c = paint(this.options.color ?? false);
    const { copies, branches } = path;
    const losses = findings.filter((f): f is PathLostFinding => f.code === 'PATH_LOST');
    for (let i = 0; i < copies.length; i++) if (copies[i]!.branch === null) lines.push(this.copyLine(path, i, ''));
    branches.forEach((b, k) => {
      const last = k === branches.length - 1;
      let first = true;
      for (let i = 0; i < copies.length; i++) {
        if (copies[i]!.branch !== b.port) continue;
        lines.push(this.copyLine(path, i, first ? (last ? '└─' : '├─') : last ? '  ' : '│ '));
        first = false;
      }
      for (const f of losses) {
        if (f.branch !== b.port) continue;
        lines.push(`    ${first ? (last ? '└─' : '├─') : last ? '  ' : '│ '} ${findingLine(f, c)}`);
        first = false;
      }
    });
    for (const f of losses) if (f.branch === null) lines.push(`    ${findingLine(f, c)}`);
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

function spaces(out: Uint8Array, o: number, n: number): number {
  for (let k = 0; k < n; k++) out[o++] = 0x20;
  return o;
}

/** How a finding's line is coloured: where the network lost it red, what the verdict or a rewrite says yellow, the rest plain. */
const TONE: Record<PathFindingCode, keyof Paint | null> = {
  PATH_LOST: 'red',
  NOT_CAPTURED: 'yellow',
  UNDETERMINED: 'yellow',
  AFTER_STOP: 'yellow',
  FLOODED: null,
  NAT_REWRITE: 'yellow',
  TTL_CHANGE: 'yellow',
  MAC_REWRITE: null,
};

function findingLine(f: PathFinding, c: Paint): string {
  const tone = TONE[f.code];
  return tone === null ? findingText(f) : c[tone](findingText(f));
}

/** One path as timeline text (builds a renderer each call; keep a TimelineRenderer for many). */
export function renderTimeline(path: PacketPath, topology: Topology | TopologyIndex, options: TimelineOptions = {}): string {
  return new TimelineRenderer(topology, options).render(path);
}
