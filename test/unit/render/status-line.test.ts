import { describe, expect, it } from 'vitest';
import { renderStatusLine } from '../../../src/render/status-line.js';

describe('status line', () => {
  const points = [
    { label: 'box:eth0', packets: 120, armed: true, ended: false, dropped: 0 },
    { label: 'host:veth1', packets: 118, armed: true, ended: false, dropped: 2 },
    { label: 'host:br0', packets: 5, armed: true, ended: true, dropped: null },
  ];

  it('shows points armed, paths, packets per point and kernel drops where there are any', () => {
    expect(renderStatusLine(points, 60, 3400)).toBe('[3.4 s] armed 3/3 · 60 paths · box:eth0 120 · host:veth1 118 (2 dropped) · host:br0 5 (ended)');
  });

  it('says how far behind vethcap is when the spools hold more than 1 MiB not read yet', () => {
    expect(renderStatusLine(points, 60, 3400, 200, 512 * 1024)).not.toContain('behind');
    expect(renderStatusLine(points, 60, 3400, 200, 37.4 * 1024 * 1024)).toBe('[3.4 s] armed 3/3 · 60 paths · behind: 37 MiB to read · box:eth0 120 · host:veth1 118 (2 dropped) · host:br0 5 (ended)');
  });

  it('fits the terminal', () => {
    const line = renderStatusLine(points, 60, 3400, 40);
    expect(line).toHaveLength(40);
    expect(line.endsWith('…')).toBe(true);
  });
});
