/**
 * `vethcap extcap --capture`: the trace of `vethcap trace TARGET -w -`, its merged pcapng
 * (one interface per point, packet ids, hop comments, directions) streamed into
 * Wireshark's FIFO instead of stdout. It stops when Wireshark sends SIGTERM (its Stop
 * button, tshark's -a/-c) or closes the FIFO (the next write fails with EPIPE: the
 * pipeline's "reader went away"; watchReader notices it without traffic too); either is
 * a normal end.
 */
import { finished } from 'node:stream/promises';
import { VethcapError } from '../errors.js';
import { trace, type StopReason } from '../trace/trace.js';
import { openFifo, watchReader } from './fifo.js';

export interface ExtcapCaptureOptions {
  /** The targets: the interface's first, then the dialog's "other targets". */
  targets: string[];
  fifo: string;
  filter?: string;
  skip?: string[];
  snaplen?: number;
  signal: AbortSignal;
  urgentSignal?: AbortSignal;
}

export interface ExtcapCaptureResult {
  stopReason: StopReason;
  packetsWritten: number;
  /** Points whose capture ended before the stop, with why. */
  endedEarly: ReadonlyArray<{ label: string; reason: string }>;
}

export async function captureIntoFifo(options: ExtcapCaptureOptions): Promise<ExtcapCaptureResult> {
  const fifo = await openFifo(options.fifo);
  const readerGone = new AbortController();
  const watch = watchReader(options.fifo, () => readerGone.abort());
  try {
    const result = await trace({
      targets: options.targets,
      output: { format: 'none', pcapng: '-', comments: true },
      stdout: fifo.stream,
      ...(options.filter !== undefined && options.filter.trim() !== '' ? { filter: options.filter } : {}),
      ...(options.skip && options.skip.length > 0 ? { skip: options.skip } : {}),
      ...(options.snaplen !== undefined ? { snaplen: options.snaplen } : {}),
      bridge: true,
      extraHost: [],
      signal: AbortSignal.any([options.signal, readerGone.signal]),
      ...(options.urgentSignal ? { urgentSignal: options.urgentSignal } : {}),
    });
    return { stopReason: readerGone.signal.aborted ? 'output-closed' : result.stopReason, packetsWritten: result.packetsWritten, endedEarly: result.endedEarly };
  } finally {
    watch.stop();
    // What the stream still holds goes out before the FIFO closes (a reader gone: nothing to wait for).
    fifo.stream.end();
    await finished(fifo.stream).catch(() => undefined);
    await fifo.handle.close().catch(() => undefined);
  }
}

/** The sentence for a capture that cannot start because vethcap is not root. */
export function needsRootError(how: string): VethcapError {
  return new VethcapError('PERMISSION', 'vethcap captures as root (nsenter, tcpdump, the runtimes\' sockets), and Wireshark ran it as a user without a sudo rule for it.', { hint: how });
}
