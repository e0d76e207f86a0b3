import type { PathJson } from '../../src/render/ndjson.js';
import type { RunSummary } from '../../src/render/run-summary.js';

export interface TraceJson {
  paths: PathJson[];
  summary: RunSummary & { capture: Array<{ point: string; captured: number | null; droppedByKernel: number | null }>; stopReason: string };
}

/** Splits `trace --json` / `merge --json` output into the paths and the final summary. */
export function parseNdjson(stdout: string): TraceJson {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = objects.at(-1) as { summary?: TraceJson['summary'] } | undefined;
  if (!last?.summary) throw new Error(`no summary line at the end of:\n${stdout.slice(-500)}`);
  return { paths: objects.slice(0, -1) as unknown as PathJson[], summary: last.summary };
}

/** The labels of a path's hops, bridge device copies left out. */
export function hopLabels(path: PathJson): string[] {
  return path.hops.filter((h) => !h.observer).map((h) => h.point);
}
