import { expect } from 'vitest';
import { runCli } from './cli.js';

const pathLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('{"id":'));

/**
 * `vethcap merge DIR --json` of a session saved by `trace --save DIR --json`: every path
 * line equals the live trace's, and so do the summary keys they share. Returns the live
 * path lines' count.
 */
export async function expectReplayEqual(liveStdout: string, dir: string): Promise<number> {
  const replay = await runCli(['merge', dir, '--json']);
  expect(replay.exitCode, replay.stderr).toBe(0);
  const live = pathLines(liveStdout);
  expect(pathLines(replay.stdout)).toEqual(live);
  const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { summary: Record<string, unknown> };
  const liveSummary = summaryOf(liveStdout).summary;
  const replaySummary = summaryOf(replay.stdout).summary;
  const shared = Object.keys(liveSummary).filter((k) => k in replaySummary);
  expect(shared).toEqual(expect.arrayContaining(['paths', 'complete', 'lost', 'notCaptured', 'undetermined', 'afterStop', 'points', 'hops', 'capture', 'stopReason', 'outsideWindow']));
  for (const k of shared) expect(replaySummary[k], k).toEqual(liveSummary[k]);
  return live.length;
}
