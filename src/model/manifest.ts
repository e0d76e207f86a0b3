import type { CapturePoint } from './topology.js';

/**
 * A capture session written to a folder: one pcap file per point and this manifest
 * (`manifest.json`), so the same folder can be merged and correlated offline
 * (`vethcap merge DIR`) and serves as a test fixture.
 */
export interface SessionManifest {
  vethcap: 1;
  /** What was captured and how, for people. */
  description?: string;
  /** The points in path order, each with the file (relative to the folder) holding its capture. */
  points: Array<CapturePoint & { file: string; stats?: { captured: number; droppedByKernel: number } | null }>;
}

export const MANIFEST_FILE = 'manifest.json';
