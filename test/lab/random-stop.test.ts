import { describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
// The harness is plain JavaScript so that `node bench/random-stop.js` runs it long without a loader.
// @ts-expect-error -- no declarations for the bench script
import { stopMany, tally } from '../../bench/random-stop.js';

interface RunResult {
  mode: string;
  exitCode: number;
  exitOk: boolean;
  paths: number;
  verdicts: Record<string, number>;
  falseVerdicts: number;
  pcapngPackets: number;
  pcapngReadable: boolean;
  pcapngFalse: number;
  tcpdumpsLeft: number;
  spoolLeft: number;
  stderr: string;
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'tshark']))('stopping a healthy trace at random moments', () => {
  const lab = useLab({ hosts: ['box', 'web'] });

  it('calls no path lost or undetermined, whatever stops it (SIGINT, SIGINT twice, SIGTERM, -d, | head, the command)', async () => {
    const seed = Date.now() % 1e9;
    const results = (await stopMany(lab(), 12, seed)) as RunResult[];
    const t = tally(results) as Record<string, number>;
    const context = `seed ${seed}: ${JSON.stringify(results.map((r) => ({ mode: r.mode, exit: r.exitCode, verdicts: r.verdicts, stderr: r.stderr })))}`;
    expect(results.map((r) => r.mode).sort()).toEqual(['command', 'command', 'double', 'double', 'duration', 'duration', 'head', 'head', 'sigint', 'sigint', 'sigterm', 'sigterm']);
    for (const r of results) {
      expect(r.exitOk, context).toBe(true);
      // Every run judged paths, and wrote them: a run that saw nothing proves nothing.
      expect(r.paths, context).toBeGreaterThan(0);
      expect(r.pcapngPackets, context).toBeGreaterThanOrEqual(r.paths * 5);
      expect(r.verdicts.complete, context).toBe(r.paths);
    }
    expect(t.falseVerdicts, context).toBe(0);
    expect(t.pcapngFalse, context).toBe(0);
    expect(t.unreadable, context).toBe(0);
    expect(t.tcpdumpsLeft, context).toBe(0);
    expect(t.spoolLeft, context).toBe(0);
  }, 240_000);
});
