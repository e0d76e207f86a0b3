import type { CapturePoint } from './topology.js';

/**
 * A capture session written to a folder: one pcap file per point and this manifest
 * (`manifest.json`), so the same folder can be merged and correlated offline
 * (`vethcap merge DIR`) and serves as a test fixture. Documented key by key in
 * docs/session.md.
 *
 * Version 1 names the points and their files. Version 2 (written by `vethcap trace
 * --save DIR`) adds what a replay needs to judge paths as the live trace did: the
 * trace's window (armed, stop) and each point's capture coverage (kernel drops over
 * time, an early end).
 */
export type SessionManifest = SessionManifestV1 | SessionManifestV2;

/** tcpdump's own counts for a point, or null where it printed none. */
export interface SavedStats {
  captured: number;
  droppedByKernel: number;
}

export interface SessionManifestV1 {
  vethcap: 1;
  /** What was captured and how, for people. */
  description?: string;
  /** The points in path order, each with the file (relative to the folder) holding its capture. */
  points: Array<CapturePoint & { file: string; stats?: SavedStats | null }>;
}

/**
 * One kernel-drop interval: [fromMs, toMs, drops]. JSON has no Infinity, so a null
 * fromMs is -Infinity, a null toMs +Infinity, and null drops an unknown number.
 */
export type SavedDropInterval = [fromMs: number | null, toMs: number | null, drops: number | null];

/** Why a point's capture covers less than the whole trace. */
export type CutReason = 'point-ended' | 'not-read';

/** One point's capture coverage as the live trace knew it at its end. */
export interface SavedCoverage {
  /** Kernel-drop intervals in the order the trace learnt them (oldest first); ms since the epoch (may be fractional). */
  drops: SavedDropInterval[];
  /**
   * The capture covers packets stamped up to atMs only (the point ended early, or the
   * rest was not read), or null: whole. A null atMs: it covers nothing (the point ended
   * before it captured a packet).
   */
  cut: { atMs: number | null; reason: CutReason } | null;
}

/** Why a trace stopped (the trace's own reasons, and `failed`: it ended in an error). */
export type SessionStopReason = 'count' | 'duration' | 'command' | 'signal' | 'targets-gone' | 'points-ended' | 'output-closed' | 'failed';

export const SESSION_STOP_REASONS: readonly SessionStopReason[] = ['count', 'duration', 'command', 'signal', 'targets-gone', 'points-ended', 'output-closed', 'failed'];

/** The moments that decide which paths a trace judged. */
export interface SessionWindow {
  /** When every point was armed (ms since the epoch): paths that began before are left out. */
  armedAtMs: number;
  /**
   * The stop moment (ms since the epoch): paths that began after get no verdict
   * ('after-stop'). Null when the trace failed before a stop was asked (then every
   * path up to the end was judged).
   */
  stopAtMs: number | null;
  /** Why the trace stopped. */
  stopReason: SessionStopReason;
}

/** A point of a version 2 session: its place in the topology, its file, tcpdump's counts and its coverage. */
export type SessionPoint = CapturePoint & {
  /** The pcap holding its capture, relative to the folder. */
  file: string;
  stats: SavedStats | null;
  coverage: SavedCoverage;
};

export interface SessionManifestV2 {
  vethcap: 2;
  /** What was captured and how, for people. */
  description?: string;
  /** When the session folder was created (ISO 8601 text). */
  created: string;
  /** The vethcap that wrote it. */
  vethcapVersion: string;
  /** vethcap's command line (without node and the script), for people. */
  argv?: string[];
  window: SessionWindow;
  /** The correlation window the trace used (ns); a replay uses the same unless told. */
  windowNs?: number;
  /** The trace's -c N: its output held N paths, and so does the replay's. */
  count?: number;
  /** The points in path order. */
  points: SessionPoint[];
}

export const MANIFEST_FILE = 'manifest.json';
