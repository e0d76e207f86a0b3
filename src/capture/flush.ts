import { readFileSync } from 'node:fs';

/**
 * Flushing a tcpdump's buffered output from outside, only where it is safe.
 *
 * Without -U, tcpdump writes its pcap through stdio: a 4 KiB buffer (the spool file's block
 * size) written when full, one write() per ~44 small packets instead of one per packet
 * (-U). At trafgen's top rate that is 110-160 ms of CPU per million packets instead of
 * 560-860 ms, per point. But a quiet point's last packets would wait in the buffer until
 * more come, maybe forever: the live view and the merge's watermark need them.
 *
 * tcpdump 4.99 flushes on SIGUSR2, but from inside the signal handler (flushpcap calls
 * pcap_dump_flush, i.e. fflush, with no deferral): not async-signal-safe. A SIGUSR2 that
 * lands while tcpdump is inside fwrite() of the same FILE can write bytes twice or lose
 * them, and the pcap stream after that is garbage. So the signal is sent only while
 * tcpdump is known not to be in stdio:
 *
 *   1. SIGSTOP: tcpdump stops wherever it is (it cannot catch this);
 *   2. once it is stopped, /proc/PID/syscall says where: the syscall it sleeps in, or that
 *      it was in user code;
 *   3. only if it sleeps in poll()/ppoll() (libpcap waiting for the next ring block, outside
 *      any fwrite) is SIGUSR2 queued; the handler then runs on SIGCONT, before the poll
 *      returns to libpcap: in that safe context;
 *   4. SIGCONT, always (a pending stop it has not taken yet is cancelled by it).
 *
 * Anywhere else (writing, in user code, not stopped in time) nothing is sent: the next
 * attempt comes a tick later. A point that writes is not asked at all (it is not quiet).
 */

/**
 * System call numbers of poll and ppoll by Node's process.arch (x86_64 and aarch64 tables),
 * and of the epoll waits: tcpdump never sleeps in those, the fake tcpdump of the tests (a
 * Node program, idle in epoll_wait) does, and a process asleep in any of them is not in stdio.
 */
const WAIT_SYSCALLS: Readonly<Record<string, readonly number[]>> = {
  x64: [7, 271, 232, 281, 441], // poll, ppoll, epoll_wait, epoll_pwait, epoll_pwait2
  arm64: [73, 22, 441], // ppoll (arm64 has no poll), epoll_pwait, epoll_pwait2
};

/** The architectures on which the safe flush can tell where tcpdump sleeps; elsewhere tcpdump keeps -U. */
export function canFlushSafely(arch: string = process.arch): boolean {
  return WAIT_SYSCALLS[arch] !== undefined;
}

/** The state letter of /proc/PID/stat (after the parenthesised command name), or undefined. */
export function procState(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return stat.slice(close + 2, close + 3) || undefined;
}

/** Whether /proc/PID/syscall says the (stopped) task sleeps in poll or ppoll on `arch`. */
export function sleepsInPoll(syscall: string, arch: string = process.arch): boolean {
  const nr = Number(syscall.trim().split(' ')[0]);
  return Number.isInteger(nr) && (WAIT_SYSCALLS[arch] ?? []).includes(nr);
}

export type FlushOutcome = 'flushed' | 'busy' | 'not-stopped' | 'gone';

/** How many times to look for the stop to take effect before giving up this time. */
const STOP_POLLS = 200;

/**
 * One safe flush attempt of the tcpdump `pid` (steps 1-4 above), synchronous so that nothing
 * else of vethcap runs while it is stopped. Returns what happened; SIGCONT is sent whatever
 * happened, as soon as the process was signalled.
 */
export function flushWhenSafe(pid: number): FlushOutcome {
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return 'gone';
  }
  try {
    let stopped = false;
    for (let i = 0; i < STOP_POLLS && !stopped; i++) {
      const state = procState(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (state === undefined || state === 'Z' || state === 'X') return 'gone';
      stopped = state === 'T' || state === 't';
    }
    if (!stopped) return 'not-stopped';
    if (!sleepsInPoll(readFileSync(`/proc/${pid}/syscall`, 'utf8'))) return 'busy';
    process.kill(pid, 'SIGUSR2');
    return 'flushed';
  } catch {
    return 'gone';
  } finally {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}
