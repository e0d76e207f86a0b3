/** The pure parts of the safe flush (src/capture/flush.ts): where a stopped tcpdump sleeps. */
import { describe, expect, it } from 'vitest';
import { canFlushSafely, procState, sleepsInPoll } from '../../../src/capture/flush.js';

describe('the safe flush of a tcpdump writing in blocks', () => {
  it('reads the state letter of /proc/PID/stat, whatever the command name holds', () => {
    expect(procState('3356 (tcpdump) T 3354 3354 31287 0 -1 4194560')).toBe('T');
    expect(procState('12 (a) b (c)) S 1 12')).toBe('S');
    expect(procState('')).toBeUndefined();
  });

  it('flushes only a process asleep in poll or ppoll (or an epoll wait), as /proc/PID/syscall says', () => {
    // tcpdump stopped in libpcap's poll of its ring (seen here: two fds, no timeout).
    expect(sleepsInPoll('7 0x7ffc451b4c80 0x2 0xffffffff 0x7fc59ba2c8d0 0x1 0x64 0x7ffc451b4c68 0x7fc59bb1a230\n', 'x64')).toBe(true);
    expect(sleepsInPoll('271 0x1 0x2 0x0 0x0 0x8 0x0 0x7ffc 0x7f\n', 'x64')).toBe(true);
    // In write() (fwrite's buffer going out), in user code, running: never.
    expect(sleepsInPoll('1 0x1 0x55d0 0x1000 0x0 0x0 0x0 0x7ffc 0x7f\n', 'x64')).toBe(false);
    expect(sleepsInPoll('-1 0x7ffc451b4c68 0x55d0c3a0\n', 'x64')).toBe(false);
    expect(sleepsInPoll('running\n', 'x64')).toBe(false);
    // arm64 numbers its calls otherwise: 7 is not poll there, 73 (ppoll) is.
    expect(sleepsInPoll('7 0x1 0x2\n', 'arm64')).toBe(false);
    expect(sleepsInPoll('73 0x1 0x2\n', 'arm64')).toBe(true);
    expect(sleepsInPoll('7 0x1 0x2\n', 'riscv64')).toBe(false);
  });

  it('knows the architectures it can tell that on; elsewhere tcpdump keeps -U', () => {
    expect(canFlushSafely('x64')).toBe(true);
    expect(canFlushSafely('arm64')).toBe(true);
    expect(canFlushSafely('riscv64')).toBe(false);
  });
});
