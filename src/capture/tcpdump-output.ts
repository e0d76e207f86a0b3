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

const LIVE_STATS = /^tcpdump: (\d+) packets? captured, (\d+) packets? received by filter, (\d+) packets? dropped by kernel(?:, (\d+) packets? dropped by interface)?$/gm;

/**
 * The last statistics tcpdump printed on request (SIGUSR1), one line:
 * `tcpdump: 10 packets captured, 12 packets received by filter, 0 packets dropped by kernel`.
 */
export function parseLiveStats(stderr: string): CaptureStats | null {
  let last: RegExpExecArray | null = null;
  for (const m of stderr.matchAll(LIVE_STATS)) last = m;
  if (!last) return null;
  return {
    captured: Number(last[1]),
    received: Number(last[2]),
    droppedByKernel: Number(last[3]),
    droppedByInterface: last[4] === undefined ? null : Number(last[4]),
  };
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
