/**
 * What the capture reader emits: one flat union, so a consumer switches on `kind` and
 * the packet case stays a single object shape (fast property access in V8).
 */
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';

/** Which file format a section came from. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** A new section starts (pcapng SHB; for classic pcap, the file header). */
export interface SectionEvent {
  kind: 'section';
  format: CaptureFormat;
  /** 0-based section index within the file. */
  index: number;
  /** Byte order of the section. */
  littleEndian: boolean;
  /** Format version, e.g. 2.4 for pcap, 1.0 for pcapng. */
  versionMajor: number;
  versionMinor: number;
  /** shb_hardware / shb_os / shb_userappl / opt_comment, when present (pcapng). */
  hardware?: string;
  os?: string;
  userAppl?: string;
  comment?: string;
  /** Absolute byte offset of the section header in the stream. */
  offset: number;
}

/** An interface is described (pcapng IDB; one synthetic interface for classic pcap). */
export interface InterfaceEvent {
  kind: 'interface';
  /** Global interface index within the file, counted across sections from 0. */
  interfaceId: number;
  /** Section index and the interface's index within that section. */
  section: number;
  localId: number;
  linkType: number;
  /** Snapshot length; 0 means "no limit" in pcapng. */
  snaplen: number;
  name?: string;
  description?: string;
  /** if_filter as text (filter type 0: libpcap filter string). */
  filter?: string;
  /** Time units per second (1e6 unless if_tsresol says otherwise; 1e9 for nanosecond pcap). */
  unitsPerSecond: number;
  /** The raw if_tsresol byte when present. */
  tsresol?: number;
  /** if_fcslen when present, or the FCS length from a classic pcap link-type field. */
  fcsLen?: number;
}

/** One captured frame: the shared CaptureRecord plus what pcapng can say about it. */
export interface PacketEvent extends CaptureRecord {
  kind: 'packet';
  /** Global interface index (see InterfaceEvent). The reader sets `point` to the same value. */
  interfaceId: number;
  /** opt_comment values, joined by "\n" when there are several. */
  comment: string | undefined;
  /** epb_packetid (option 5), a 64-bit value. */
  packetId: bigint | undefined;
  /** The raw epb_flags word, when present. */
  flags: number | undefined;
  /**
   * False for a pcapng Simple Packet Block, which carries no timestamp (tsSec and
   * tsNsec are then 0; tshark shows no time for such frames).
   */
  hasTimestamp: boolean;
}

/** Interface statistics (pcapng ISB). Counters are bigint: they are 64-bit in the file. */
export interface StatsEvent {
  kind: 'stats';
  interfaceId: number;
  /** Time the statistics were taken. */
  ts: Timestamp;
  startTime?: Timestamp;
  endTime?: Timestamp;
  ifRecv?: bigint;
  ifDrop?: bigint;
  filterAccept?: bigint;
  osDrop?: bigint;
  usrDeliv?: bigint;
  comment?: string;
}

export type CaptureEvent = SectionEvent | InterfaceEvent | PacketEvent | StatsEvent;

/**
 * Builds a packet event. Every packet is made here so all of them share one object
 * shape (property order), which keeps consumers' property access monomorphic.
 */
export function makePacket(
  interfaceId: number,
  tsSec: number,
  tsNsec: number,
  data: Uint8Array,
  origLen: number,
  linkType: number,
  flags: number | undefined,
  comment: string | undefined,
  packetId: bigint | undefined,
  hasTimestamp = true,
): PacketEvent {
  const dir = flags === undefined ? 0 : flags & 3;
  return {
    kind: 'packet',
    point: interfaceId,
    interfaceId,
    tsSec,
    tsNsec,
    data,
    origLen,
    linkType,
    direction: dir === 3 ? 0 : (dir as 0 | 1 | 2),
    comment,
    packetId,
    flags,
    hasTimestamp,
  };
}
