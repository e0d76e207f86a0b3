import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { spawnTool } from '../exec/spawn.js';

/**
 * Reads the process groups still to guard as arguments and, from vethcap, a line per group
 * to forget (its tcpdump ended), or `disarm` (vethcap stopped them itself: exit quietly);
 * at end of input, which is vethcap's end however it came (SIGKILL, the OOM killer), it
 * sends SIGINT to the groups left, then SIGCONT (vethcap may have died in the microseconds a
 * tcpdump is stopped for a flush: see flush.ts). POSIX sh.
 */
const SCRIPT = 'groups="$*"; while read -r gone; do [ "$gone" = disarm ] && exit 0; groups=$(for g in $groups; do [ "$g" = "$gone" ] || printf "%s " "$g"; done); done; [ -n "$groups" ] && { kill -s INT -- $groups; kill -s CONT -- $groups; }; exit 0';

/**
 * Ends the tcpdumps of a session if vethcap dies without stopping them.
 *
 * A tcpdump writing into a spool file, unlike one writing into a pipe, would not notice
 * vethcap's death (no SIGPIPE): it would go on capturing into a file nobody can see until
 * the disk is full. The parent-death signal cannot help: tcpdump drops its privileges
 * (to user tcpdump), and a change of credentials clears it. So a small shell holds the read
 * end of a pipe from vethcap; the kernel closes the write end when vethcap ends, and the
 * shell then ends the tcpdumps' process groups (each tcpdump leads its own).
 */
export class OrphanGuard {
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private readonly exited: Promise<void>;
  private disposed = false;

  constructor(groups: readonly number[]) {
    // Best effort: without sh (a failed spawn) there is no guard, and nothing else changes.
    const spawned = spawnTool('sh', ['-c', SCRIPT, 'vethcap-guard', ...groups.map((g) => `-${g}`)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true, // its own group: a Ctrl-C on the terminal is vethcap's to handle, not its
      locale: 'inherit',
    });
    this.child = spawned.child;
    this.exited = spawned.ended.then(() => undefined);
    this.stdin = this.child.stdin!;
    this.stdin.on('error', () => undefined); // it may be gone first (killed by hand)
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** This group's tcpdump has ended: never signal it (its number may be reused). */
  forget(group: number): void {
    if (this.disposed || this.stdin.destroyed) return;
    this.stdin.write(`-${group}\n`);
  }

  /**
   * vethcap stops the tcpdumps itself: the guard exits without signalling anyone. Told
   * through its pipe, not by a signal: if it was gone early (killed by hand), its PID may
   * belong to another process by now.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.stdin.destroyed) this.stdin.end('disarm\n');
    await this.exited;
  }
}
