import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { PacketPath } from '../correlate/path.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import type { Topology } from '../model/topology.js';
import type { InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import { isReaderGone, openFileSink, writableSink, defaultOsName, type CaptureSink, type FileSink } from './capture-sink.js';
import { TimelineRenderer } from '../render/timeline.js';
import { encodePathJsonLine, renderPathJson } from '../render/ndjson.js';
import { SummaryCollector, type RunSummary } from '../render/run-summary.js';
import type { TimeZone } from '../render/format.js';
import { OrderedPcapngWriter } from './ordered-pcapng.js';
import { ReportCollector } from '../report/collector.js';
import { TextChunks } from './text-chunks.js';

export interface PathOutputOptions {
  /** What goes to stdout per path: the timeline, NDJSON, or nothing (-q). */
  format: 'timeline' | 'json' | 'none';
  color?: boolean;
  timeZone?: TimeZone;
  /** Write the merged pcapng here ('-' for stdout, then no text goes to stdout). */
  pcapng?: string;
  /** Hop annotations as pcapng packet comments (default true). */
  comments?: boolean;
  /** Gather what an HTML report shows (`--html`): `report` then collects every path. */
  report?: boolean;
}

const TEXT_FLUSH_BYTES = 64 * 1024;
/** Room for an NDJSON line written as bytes (a longer one is rendered as text). */
const JSON_LINE_ROOM = 16 * 1024;
/** Room for a path's timeline lines written as bytes (longer ones are rendered as text). */
const TEXT_PATH_ROOM = 16 * 1024;
/** Held output past which the writer should wait for a flush (see overfull). */
const TEXT_OVERFULL_BYTES = 4 * 1024 * 1024;
const PCAP_OVERFULL_BYTES = 16 * 1024 * 1024;

/**
 * Where correlated paths go: the timeline or NDJSON on stdout, the merged pcapng, the
 * run summary. onPath() is synchronous (the correlator calls it); flush() writes what
 * has gathered and waits for the outputs to take it, which is where backpressure reaches
 * the caller.
 */
export class PathOutput {
  readonly summary: SummaryCollector;
  /** The HTML report's data, when asked for (`report`). */
  readonly report: ReportCollector | undefined;
  private readonly timeline: TimelineRenderer | undefined;
  private readonly text = new TextChunks();
  private readonly pcap: OrderedPcapngWriter | undefined;
  private pcapSink: CaptureSink | undefined;
  /** The pcapng file's sink, when it goes to a file. */
  private fileSink: FileSink | undefined;
  private readonly stdoutSink: CaptureSink;
  private stdoutGone = false;
  /**
   * Full pcapng chunks taken as soon as the writer filled one, waiting for flush(): while a
   * flush waits for the disk, paths go on arriving, and the writer's buffer must not grow
   * (a copy of it each time) meanwhile.
   */
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;

  private constructor(
    private readonly topology: Topology,
    private readonly options: PathOutputOptions,
    stdout: Writable,
  ) {
    const index = new TopologyIndex(topology);
    this.summary = new SummaryCollector(index);
    this.report = options.report ? new ReportCollector(topology) : undefined;
    this.timeline = options.format === 'timeline' ? new TimelineRenderer(index, { color: options.color ?? false, timeZone: options.timeZone ?? 'local' }) : undefined;
    this.pcap = options.pcapng ? new OrderedPcapngWriter({ points: topology.points, os: defaultOsName(), comments: options.comments ?? true }) : undefined;
    this.stdoutSink = writableSink(stdout, 'standard output');
  }

  static async open(topology: Topology, options: PathOutputOptions, stdout: Writable = process.stdout): Promise<PathOutput> {
    const out = new PathOutput(topology, options, stdout);
    if (options.pcapng === '-') out.pcapSink = out.stdoutSink;
    else if (options.pcapng) out.pcapSink = out.fileSink = await openFileSink(options.pcapng);
    return out;
  }

  /** True when the merged pcapng goes to a file (not stdout). */
  get writesFile(): boolean {
    return this.options.pcapng !== undefined && this.options.pcapng !== '-';
  }

  /** True when the merged pcapng goes to stdout, so no text may. */
  get pcapOnStdout(): boolean {
    return this.options.pcapng === '-';
  }

  /**
   * The reader of stdout went away (EPIPE, e.g. `| head`): nothing more goes there, and
   * the caller should stop; a pcapng file is still written to the end.
   */
  get readerGone(): boolean {
    return this.stdoutGone;
  }

  readonly onPath = (path: PacketPath): void => {
    this.summary.add(path);
    this.report?.add(path);
    if (this.pcapOnStdout && this.stdoutGone) return;
    const pcap = this.pcap;
    if (pcap !== undefined) {
      pcap.add(path);
      if (pcap.shouldTake) {
        const chunk = pcap.take();
        this.chunks.push(chunk);
        this.chunkBytes += chunk.length;
      }
    }
    // A path that began after the stop: in the pcapng (marked) and the summary's count only.
    if (this.pcapOnStdout || this.stdoutGone || path.verdict === 'after-stop') return;
    const timeline = this.timeline;
    if (timeline) {
      if (!this.text.appendWith(TEXT_PATH_ROOM, timeline.encode, path)) this.text.append(timeline.render(path));
    }
    else if (this.options.format === 'json' && !this.text.appendWith(JSON_LINE_ROOM, encodePathJsonLine, path)) {
      this.text.append(renderPathJson(path));
      this.text.append('\n');
    }
  };

  /**
   * True when far more has gathered than one flush takes: the outputs are stuck (a pager
   * not reading stdout), and whoever feeds paths in should wait for a flush.
   */
  get overfull(): boolean {
    return this.text.length >= TEXT_OVERFULL_BYTES || (this.pcap?.writer.buffered ?? 0) + this.chunkBytes >= PCAP_OVERFULL_BYTES;
  }

  /** True when timeline or NDJSON text waits for the next flush(). */
  get hasText(): boolean {
    return this.text.length > 0;
  }

  /** True when enough has gathered that the caller should flush() before going on. */
  get shouldFlush(): boolean {
    return this.text.length >= TEXT_FLUSH_BYTES || this.chunks.length > 0 || (this.pcap?.shouldTake ?? false);
  }

  async flush(): Promise<void> {
    if (this.text.length > 0) {
      for (const chunk of this.text.take()) await this.toStdout(chunk);
    }
    if (this.pcap && this.pcapSink) {
      // The full chunks taken so far (more may be taken while this waits), then the rest.
      while (this.chunks.length > 0) {
        const chunk = this.chunks.shift()!;
        this.chunkBytes -= chunk.length;
        await this.writePcap(chunk);
      }
      await this.writePcap(this.pcap.take());
    }
  }

  /** Writes the rest, the statistics blocks, and closes the pcapng; returns the summary. */
  async close(stats: readonly InterfaceStatsInput[] = []): Promise<RunSummary> {
    this.pcap?.finish(stats);
    try {
      await this.flush();
    } finally {
      // A file is completed even when stdout failed.
      if (this.pcapSink && this.pcapSink !== this.stdoutSink) {
        if (this.pcap) {
          for (const chunk of this.chunks) await this.pcapSink.write(chunk);
          this.chunks = [];
          this.chunkBytes = 0;
          await this.pcapSink.write(this.pcap.take());
        }
        await this.pcapSink.close();
      }
    }
    return this.summary.result();
  }

  private async writePcap(chunk: Uint8Array): Promise<void> {
    if (this.pcapSink === this.stdoutSink) await this.toStdout(chunk);
    else if (this.pcapSink !== undefined) {
      const pcap = this.pcap;
      // Once written, the chunk's memory goes back to the writer.
      await this.pcapSink.write(chunk, () => pcap?.recycle(chunk));
    }
  }

  /** A write to stdout; once its reader has gone, nothing more is written there. */
  private async toStdout(chunk: Uint8Array): Promise<void> {
    if (this.stdoutGone) return;
    try {
      await this.stdoutSink.write(chunk);
    } catch (error) {
      if (!isReaderGone(error)) throw error;
      this.stdoutGone = true;
      this.text.clear();
    }
  }

  /** Removes the pcapng file after close(), when a run failed before it captured anything. */
  async discard(): Promise<void> {
    // Never a FIFO: it belongs to whoever reads it (Wireshark).
    if (this.fileSink?.kind === 'file' && this.options.pcapng && this.packetsWritten === 0) await rm(this.options.pcapng, { force: true });
  }

  /** Packets written to the pcapng so far. */
  get packetsWritten(): number {
    return this.pcap?.written ?? 0;
  }

  get points(): Topology['points'] {
    return this.topology.points;
  }
}
