import { describe, expect, it } from 'vitest';
import { failureReason, isListening, parseStats, StderrLog } from '../../../src/capture/tcpdump-output.js';

// What tcpdump 4.99.3 printed on this machine: started, asked once (SIGUSR1), then ended (SIGINT).
const LISTENING = 'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n';
const ASKED = 'tcpdump: 0 packets captured, 12 packets received by filter, 0 packets dropped by kernel\n';
const ENDED = '6 packets captured\n12 packets received by filter\n0 packets dropped by kernel\n';

describe('tcpdump stderr', () => {
  it('sees "listening on"', () => {
    expect(isListening('')).toBe(false);
    expect(isListening(LISTENING)).toBe(true);
  });

  it('reads the statistics printed at the end', () => {
    expect(parseStats(LISTENING + ASKED)).toBeNull();
    expect(parseStats(LISTENING + ASKED + ENDED)).toEqual({ captured: 6, received: 12, droppedByKernel: 0, droppedByInterface: null });
  });

  it('reads the last statistics printed on request, with interface drops when tcpdump names them', () => {
    const log = new StderrLog();
    log.push(LISTENING);
    expect(log.live).toBeNull();
    log.push(ASKED.slice(0, 20)); // a line may come in two chunks
    expect(log.live).toBeNull();
    log.push(ASKED.slice(20));
    expect(log.live).toEqual({ captured: 0, received: 12, droppedByKernel: 0, droppedByInterface: null });
    log.push('tcpdump: 1 packet captured, 40 packets received by filter, 7 packets dropped by kernel, 2 packets dropped by interface\n');
    expect(log.live).toEqual({ captured: 1, received: 40, droppedByKernel: 7, droppedByInterface: 2 });
    log.push(ENDED);
    expect(isListening(log.text)).toBe(true);
    expect(parseStats(log.text)).toEqual({ captured: 6, received: 12, droppedByKernel: 0, droppedByInterface: null });
  });

  it('keeps a day of answers to SIGUSR1 in bounded memory, and the start and end of the log', () => {
    const log = new StderrLog();
    log.push(LISTENING);
    // Two answers a second for 24 hours, and some other chatter.
    for (let i = 0; i < 172_800; i++) {
      log.push(`tcpdump: ${i} packets captured, ${i} packets received by filter, 0 packets dropped by kernel\n`);
      if (i % 1000 === 0) log.push(`tcpdump: some warning ${i}\n`);
    }
    log.push('tcpdump: pcap_loop: The interface disappeared\n' + ENDED);
    expect(log.text.length).toBeLessThan(100 * 1024);
    expect(log.live?.captured).toBe(172_799);
    expect(isListening(log.text)).toBe(true);
    expect(failureReason(log.text)).toBe('pcap_loop: The interface disappeared');
    expect(parseStats(log.text)?.captured).toBe(6);
  });

  it('gives tcpdump\'s own reason for failing, not a statistics line', () => {
    expect(failureReason("tcpdump: can't parse filter expression: syntax error\n")).toBe("can't parse filter expression: syntax error");
    expect(failureReason(LISTENING + ASKED + 'tcpdump: pcap_loop: The interface disappeared\n' + ENDED)).toBe('pcap_loop: The interface disappeared');
    expect(failureReason(LISTENING + ASKED)).not.toMatch(/packets captured/);
  });
});
