import { describe, expect, it, vi } from 'vitest';
import { EarlyStart } from '../../../src/trace/early-start.js';
import type { PacketSource, SourceEvents, SourceWindow } from '../../../src/pipeline/source.js';
import type { CaptureRecord } from '../../../src/model/record.js';

/** A source whose start() is counted and whose events the test fires by hand. */
function fakeSource() {
  let events: SourceEvents | undefined;
  let arm: ((w: SourceWindow) => void) | undefined;
  const source = {
    points: [],
    coverage: null,
    live: true,
    starts: 0,
    start(e: SourceEvents) {
      source.starts++;
      events = e;
      return new Promise<SourceWindow>((resolve) => (arm = resolve));
    },
    ticks: 0,
    tick: () => void source.ticks++,
    drained: () => true,
    drainLeftMs: () => 0,
    markStopping: () => undefined,
    abandon: () => 0,
    unreadBytes: () => 0,
    status: () => [],
    stop: async () => undefined,
    interfaceStats: () => [],
  } satisfies PacketSource & { starts: number; ticks: number };
  return { source, fire: () => events!, arm: (w: SourceWindow) => arm!(w) };
}

function recorder(log: string[]): SourceEvents {
  return {
    packet: (point) => void log.push(`packet ${point}`),
    advance: (point) => void log.push(`advance ${point}`),
    handed: () => undefined,
    ended: (point, early) => void log.push(`ended ${point} ${early?.reason ?? ''}`.trim()),
    error: (error) => void log.push(`error ${String(error)}`),
  };
}

describe('EarlyStart', () => {
  it('starts the source once, at launch, and hands what came before the runner over in order', async () => {
    const { source, fire, arm } = fakeSource();
    const early = new EarlyStart(source);
    early.launch();
    expect(source.starts).toBe(1);
    const record = {} as CaptureRecord;
    fire().packet(0, record);
    fire().ended(1, { reason: 'gone' });
    expect(fire().handed()).toBeUndefined(); // no backpressure before the runner is there
    arm({ openAtMs: 42 });
    const log: string[] = [];
    const window = await early.start(recorder(log));
    expect(window).toEqual({ openAtMs: 42 });
    expect(source.starts).toBe(1);
    expect(log).toEqual(['packet 0', 'ended 1 gone']);
    fire().packet(2, record);
    expect(log).toEqual(['packet 0', 'ended 1 gone', 'packet 2']);
    expect(early.armedAt).toBeTypeOf('number');
  });

  it('starts the source at start() when it was not launched', async () => {
    const { source, arm } = fakeSource();
    const early = new EarlyStart(source);
    const started = early.start(recorder([]));
    arm({ openAtMs: 1 });
    await expect(started).resolves.toEqual({ openAtMs: 1 });
    expect(source.starts).toBe(1);
  });

  it('ticks the source as the runner would while it is armed and the runner is not there yet', async () => {
    vi.useFakeTimers();
    try {
      const { source, arm } = fakeSource();
      const early = new EarlyStart(source);
      early.launch();
      await vi.advanceTimersByTimeAsync(1000);
      expect(source.ticks).toBe(0); // not armed yet: nothing to ask
      arm({ openAtMs: 1 });
      await vi.advanceTimersByTimeAsync(350);
      expect(source.ticks).toBe(3);
      await early.start(recorder([]));
      await vi.advanceTimersByTimeAsync(1000);
      expect(source.ticks).toBe(3); // the runner ticks it from now on
    } finally {
      vi.useRealTimers();
    }
  });
});
