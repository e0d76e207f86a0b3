/**
 * SIGTERM (what `kill`, systemd and `docker stop` send) stops a trace as Ctrl-C does: in a
 * child process that runs trace() on the fake tcpdumps behind the CLI's own signal
 * handling, so the signal is real. Unprivileged.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../pcap/tools.js';
import { FAKE_POINTS, writeFakeCaptures } from '../../helpers/fake-session.js';
import { FAKE_TCPDUMP_BIN } from '../../helpers/fake-tcpdump.js';

const tmp = tempDir('vethcap-sigterm-');
afterAll(() => tmp.remove());
writeFakeCaptures(tmp.dir);

const dist = (path: string): string => fileURLToPath(new URL(`../../../dist/${path}`, import.meta.url));

/** The child: the CLI's interrupt handling around trace(), its result as JSON on stdout, the CLI's exit code. */
const CHILD = `
const { trace } = await import(${JSON.stringify(dist('trace/trace.js'))});
const { catchInterrupts, signalExitCode } = await import(${JSON.stringify(dist('cli/interrupt.js'))});
const interrupt = catchInterrupts();
const result = await trace({
  targets: [], points: JSON.parse(process.env.POINTS), output: { format: 'none' },
  signal: interrupt.signal, urgentSignal: interrupt.urgent,
  onArmed: () => process.stderr.write('armed\\n'),
});
interrupt.dispose();
process.stdout.write(JSON.stringify({ stopReason: result.stopReason, summary: result.summary, stats: result.stats }));
process.exitCode = signalExitCode(interrupt.signalName());
`;

describe('trace() stopped by SIGTERM', () => {
  it('stops cleanly: exit 143, stop reason "signal", nothing called lost, every fake tcpdump ended', async () => {
    const child = execa(process.execPath, ['--input-type=module', '-e', CHILD], {
      reject: false,
      env: {
        PATH: `${FAKE_TCPDUMP_BIN}:${process.env.PATH ?? ''}`,
        FAKE_TCPDUMP_DIR: tmp.dir,
        FAKE_TCPDUMP_EPOCH_MS: String(Date.now() + 1000),
        FAKE_TCPDUMP_BLOCK_PACKETS: 'sp0:64;sp1:41;sp2:50;sp3:33;sp4:57',
        POINTS: JSON.stringify(FAKE_POINTS),
      },
    });
    await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('armed') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const tcpdumps = (await execa('pgrep', ['-P', String(child.pid)], { reject: false })).stdout.split('\n').filter(Boolean);
    expect(tcpdumps.length).toBeGreaterThanOrEqual(5);
    child.kill('SIGTERM');
    const done = await child;
    expect(done.exitCode, done.stderr).toBe(143);
    const result = JSON.parse(done.stdout) as { stopReason: string; summary: { paths: number; lost: number; notCaptured: number; undetermined: number }; stats: Array<{ captured: number } | null> };
    expect(result.stopReason).toBe('signal');
    expect(result.summary.paths).toBeGreaterThan(20);
    expect(result.summary).toMatchObject({ lost: 0, notCaptured: 0, undetermined: 0 });
    // Each fake printed its statistics at its end: it was stopped, not killed.
    expect(result.stats.every((s) => s !== null)).toBe(true);
    for (const pid of tcpdumps) expect((await execa('kill', ['-0', pid], { reject: false })).exitCode).not.toBe(0);
  }, 30_000);
});
