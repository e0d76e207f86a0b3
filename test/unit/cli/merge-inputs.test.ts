import { describe, expect, it } from 'vitest';
import { mergeInputs } from '../../../src/cli/merge-inputs.js';

describe("merge's inputs", () => {
  it('a --label alone adds its file', () => {
    expect(mergeInputs([], ['box:eth0=a.pcap', 'host:vethA=b.pcap'], ['merge', '--label', 'box:eth0=a.pcap', '--label', 'host:vethA=b.pcap'])).toEqual([
      { path: 'a.pcap', label: 'box:eth0' },
      { path: 'b.pcap', label: 'host:vethA' },
    ]);
  });
  it('a file both labelled and listed is one input', () => {
    const argv = ['merge', '--label', 'box:eth0=a.pcap', '--label', 'host:vethA=b.pcap', 'a.pcap', 'b.pcap'];
    expect(mergeInputs(['a.pcap', 'b.pcap'], ['box:eth0=a.pcap', 'host:vethA=b.pcap'], argv)).toEqual([
      { path: 'a.pcap', label: 'box:eth0' },
      { path: 'b.pcap', label: 'host:vethA' },
    ]);
  });
  it('keeps the order in which the command line first names each file, labels and files mixed', () => {
    const argv = ['merge', 'c.pcap', '--label=web:eth0=b.pcap', 'a.pcap', '--label', 'box:eth0=a.pcap', '-w', 'out.pcapng'];
    expect(mergeInputs(['c.pcap', 'a.pcap'], ['web:eth0=b.pcap', 'box:eth0=a.pcap'], argv).map((i) => i.path)).toEqual(['c.pcap', 'b.pcap', 'a.pcap']);
  });
  it('refuses a label without NAME=FILE, and two names for one file', () => {
    expect(() => mergeInputs([], ['a.pcap'])).toThrow(/--label a.pcap: write NAME=FILE/);
    expect(() => mergeInputs([], ['x=a.pcap', 'y=a.pcap'])).toThrow(/two names, x and y/);
  });
});
