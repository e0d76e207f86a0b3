import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * vethcap as a light observer: while it captures, its own thread runs at the lowest CPU
 * priority (nice 19), so that the traffic it watches and the tcpdumps capturing it get the
 * CPU first. Its parsing can wait: each tcpdump writes into a spool on disk, so a burst
 * vethcap is slow to read is late on screen, never dropped by the kernel. Measured on the
 * 2-core machine (bench/trace.js): at trafgen's top rate through five points, node wants
 * more than the core trafgen leaves, and at the same priority it took it from trafgen.
 *
 * Linux's nice value is per thread: every thread of the process is lowered (the main thread,
 * where the JavaScript runs, and V8's garbage collector and libuv's file threads, which
 * inherit nothing from a later change of the main thread's). A child inherits the forking
 * thread's value, so every
 * program vethcap starts (tcpdump, the command after --, a probe) is started at the
 * priority vethcap had (spawnTool calls atNormalPriority): only vethcap yields.
 *
 * Going back up needs CAP_SYS_NICE, so vethcap lowers itself only when it has it (root
 * normally does); without it nothing changes.
 */
export const OBSERVER_NICE = 19;

const CAP_SYS_NICE = 23n;

/** Whether CapEff in a /proc/PID/status text has CAP_SYS_NICE. */
export function hasSysNice(status: string): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  return m !== null && ((BigInt(`0x${m[1]!}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

/** The thread's nice value before yieldCpu(), while it yields. */
let normal: number | undefined;

/** Lowers this thread to OBSERVER_NICE, when it can come back up. True if it did. */
export function yieldCpu(): boolean {
  if (normal !== undefined) return true;
  try {
    if (!hasSysNice(readFileSync('/proc/self/status', 'utf8'))) return false;
    const now = getPriority();
    if (now >= OBSERVER_NICE) return false;
    setPriority(OBSERVER_NICE);
    normal = now;
    forEachThread((tid) => setPriority(tid, OBSERVER_NICE));
    return true;
  } catch {
    return false;
  }
}

/** Back to the priority before yieldCpu(). */
export function restoreCpu(): void {
  if (normal === undefined) return;
  const back = normal;
  try {
    setPriority(back);
    normal = undefined;
  } catch {
    return; // kept yielding: CAP_SYS_NICE was dropped meanwhile
  }
  forEachThread((tid) => setPriority(tid, back));
}

/** Calls `set` with each thread of this process (best effort: a thread gone meanwhile is skipped). */
function forEachThread(set: (tid: number) => void): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      set(Number(tid));
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * Runs `start` at the thread's normal priority: a synchronous spawn, so that the child
 * inherits that, not vethcap's yielding one; or a moment a tcpdump is stopped for (flush.ts).
 */
export function atNormalPriority<T>(start: () => T): T {
  const yielding = normal;
  if (yielding === undefined) return start();
  try {
    setPriority(yielding);
  } catch {
    return start();
  }
  try {
    return start();
  } finally {
    try {
      setPriority(OBSERVER_NICE);
    } catch {
      // cannot happen: lowering needs no privilege
    }
  }
}
