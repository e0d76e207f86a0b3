/** Parsing what tcpdump prints on stderr (pure). */

export interface CaptureStats {
  /** Packets tcpdump wrote out. */
  captured: number;
  /** Packets the filter accepted (libpcap's ps_recv). */
  received: number;
  /** Packets the kernel dropped for lack of buffer space (ps_drop). */
  droppedByKernel: number;
  /** Packets dropped by the interface or driver, where tcpdump reports it. */
  droppedByInterface: number | null;
}

/** True once tcpdump says its handle is active and the filter set. */
export function isListening(stderr: string): boolean {
  return /^(tcpdump: )?listening on /m.test(stderr);
}

/** The statistics tcpdump prints when it ends on SIGINT/SIGTERM, or null if absent. */
export function parseStats(stderr: string): CaptureStats | null {
  const grab = (re: RegExp): number | null => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = grab(/^(\d+) packets? captured$/m);
  const received = grab(/^(\d+) packets? received by filter$/m);
  const dropped = grab(/^(\d+) packets? dropped by kernel$/m);
  if (captured === null || received === null || dropped === null) return null;
  return { captured, received, droppedByKernel: dropped, droppedByInterface: grab(/^(\d+) packets? dropped by interface$/m) };
}


/**
 * tcpdump's reason for failing, as one line: its last `tcpdump: ...` line without the
 * prefix (e.g. "can't parse filter expression: syntax error", "eth9: No such device exists").
 */
export function failureReason(stderr: string): string {
  // Not the news: "listening on", and statistics (on request or at the end).
  const news = (l: string) => !/^(tcpdump: )?(listening on |\d+ packets? (captured|received by filter|dropped by))/.test(l);
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && news(l));
  const own = lines.filter((l) => l.startsWith('tcpdump: '));
  const line = own.at(-1) ?? lines.at(-1) ?? 'no message';
  return line.replace(/^tcpdump: /, '');
}

const LIVE_STATS_LINE = /^tcpdump: (\d+) packets? captured, (\d+) packets? received by filter, (\d+) packets? dropped by kernel(?:, (\d+) packets? dropped by interface)?$/;
/** What a log keeps of a long run: its start (where the errors of a start are) and its end. */
const LOG_HEAD_CHARS = 16 * 1024;
const LOG_TAIL_CHARS = 32 * 1024;

/**
 * tcpdump's stderr, as the parsers above want it, in bounded memory: the answers to
 * SIGUSR1 (one every status tick, for as long as the trace runs) are parsed as they come
 * and only the last is kept; of the other lines, the first 16 KiB and the last 32 KiB.
 */
export class StderrLog {
  private head = '';
  private tail = '';
  private partial = '';
  private lastLive: CaptureStats | null = null;
  /** Called with each answer to SIGUSR1 as it is parsed (DropTimeline keeps them over time). */
  onLive: ((stats: CaptureStats) => void) | undefined;

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const m = LIVE_STATS_LINE.exec(line);
      if (m) {
        this.lastLive = { captured: Number(m[1]), received: Number(m[2]), droppedByKernel: Number(m[3]), droppedByInterface: m[4] === undefined ? null : Number(m[4]) };
        this.onLive?.(this.lastLive);
        continue;
      }
      this.append(line + '\n');
    }
  }

  /** The log so far (an unfinished last line included). */
  get text(): string {
    return this.head + this.tail + this.partial;
  }

  /** The statistics tcpdump last printed on request, or null. */
  get live(): CaptureStats | null {
    return this.lastLive;
  }

  private append(s: string): void {
    if (this.tail === '' && this.head.length + s.length <= LOG_HEAD_CHARS) {
      this.head += s;
      return;
    }
    this.tail += s;
    if (this.tail.length > 2 * LOG_TAIL_CHARS) {
      const cut = this.tail.indexOf('\n', this.tail.length - LOG_TAIL_CHARS);
      this.tail = `[...]\n${this.tail.slice(cut + 1)}`;
    }
  }
}
