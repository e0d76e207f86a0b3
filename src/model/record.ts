import type { Timestamp } from './time.js';

/** Link-layer header types (the pcap LINKTYPE_ registry) that vethcap decodes. */
export const LINKTYPE = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
} as const;

/** Direction of a frame at a capture point, as pcapng's epb_flags bits 0-1 say it. */
export const DIRECTION = {
  UNKNOWN: 0,
  INBOUND: 1,
  OUTBOUND: 2,
} as const;
export type Direction = (typeof DIRECTION)[keyof typeof DIRECTION];

/**
 * One captured frame at one capture point. `data` is a view into the reader's input
 * buffer (no copy per packet); readers never reuse a buffer they handed out, so the view
 * stays valid as long as it is referenced.
 */
export interface CaptureRecord extends Timestamp {
  /** Index of the capture point in the session's point list. */
  point: number;
  /** Captured bytes (caplen = data.length). */
  data: Uint8Array;
  /** Length of the frame on the wire. */
  origLen: number;
  /** LINKTYPE_ value of `data`. */
  linkType: number;
  /** Direction where the source knows it (pcapng epb_flags), else UNKNOWN. */
  direction: Direction;
}
