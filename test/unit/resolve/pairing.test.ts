import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpLinks } from '../../../src/resolve/ip-link.js';
import { ownersOf, pairInterfaces } from '../../../src/resolve/pairing.js';
import { VethcapError } from '../../../src/errors.js';

// Recorded by scripts/record-ip-fixtures.sh from a real topology (see its header).
const fixture = (name: string) => parseIpLinks(readFileSync(new URL(`../../../fixtures/ip/${name}.json`, import.meta.url), 'utf8'));
const host = fixture('host');
const box = fixture('box');
const web = fixture('web');
const solo = fixture('solo');

describe('parseIpLinks', () => {
  it('reads kind, iflink, netnsid, master, port state, MAC and addresses', () => {
    const eth0 = box.find((l) => l.name === 'eth0');
    expect(eth0).toMatchObject({ kind: 'veth', linkNetnsid: 0, mac: '02:f1:00:00:00:02', mtu: 1500, operstate: 'UP' });
    expect(eth0?.addresses).toContain('198.19.7.2/24');
    const port = host.find((l) => l.name === 'fx0a0a0ah0');
    expect(port).toMatchObject({ kind: 'veth', master: 'fx0a0a0abr', slaveKind: 'bridge', portState: 'forwarding', linkIndex: 2 });
    expect(host.find((l) => l.name === 'lo')?.mac).toBeUndefined();
  });

  it('rejects output that is not JSON with a sentence', () => {
    expect(() => parseIpLinks('Object "addr" is unknown')).toThrow(VethcapError);
    expect(() => parseIpLinks('{"a":1}')).toThrow(/not a list of interfaces/);
  });

  it('treats empty output as no interfaces', () => {
    expect(parseIpLinks('')).toEqual([]);
  });
});

describe('pairInterfaces', () => {
  it('pairs by iflink in both directions, not by the next ifindex', () => {
    // Both namespaces' eth0 have ifindex 2 and both host ports have iflink 2: only the
    // namespace end's own iflink tells the two ports apart.
    const hostPorts = host.filter((l) => l.master === 'fx0a0a0abr');
    expect(new Set(hostPorts.map((l) => l.linkIndex))).toEqual(new Set([2]));
    const [boxEth0] = pairInterfaces(box, host);
    const [webEth0] = pairInterfaces(web, host);
    expect(boxEth0?.peer?.name).toBe('fx0a0a0ah0');
    expect(webEth0?.peer?.name).toBe('fx0a0a0ah1');
    expect(boxEth0?.peer?.netns).toBe('host');
    expect(boxEth0?.peer?.ifindex).toBe(box.find((l) => l.name === 'eth0')?.linkIndex);
  });

  it('names the bridge, the port state and every port with its owner', () => {
    const owners = new Map([...ownersOf('box', box, host), ...ownersOf('web', web, host)]);
    const [eth0] = pairInterfaces(box, host, owners);
    expect(eth0?.bridge).toEqual({
      name: 'fx0a0a0abr',
      ifindex: host.find((l) => l.name === 'fx0a0a0abr')?.ifindex,
      portState: 'forwarding',
      ports: [
        { name: 'fx0a0a0ah0', ifindex: expect.any(Number), state: 'forwarding', owner: 'box:eth0' },
        { name: 'fx0a0a0ah1', ifindex: expect.any(Number), state: 'forwarding', owner: 'web:eth0' },
      ],
    });
  });

  it('skips lo and explains a macvlan', () => {
    const ifaces = pairInterfaces(box, host);
    expect(ifaces.map((i) => i.name)).toEqual(['eth0', 'macvlan0']);
    const mv = ifaces[1];
    expect(mv?.kind).toBe('macvlan');
    expect(mv?.peer).toBeNull();
    expect(mv?.note).toMatch(/macvlan interface: no veth peer; its frames leave through the host's fx0a0a0abr/);
  });

  it('pairs a veth whose two ends are both inside the namespace', () => {
    const ifaces = pairInterfaces(solo, host);
    expect(ifaces.map((i) => [i.name, i.peer?.name, i.peer?.netns])).toEqual([
      ['b0', 'a0', 'same'],
      ['a0', 'b0', 'same'],
    ]);
  });

  it('refuses a host veth whose iflink does not point back', () => {
    const tampered = host.map((l) => (l.name === 'fx0a0a0ah0' ? { ...l, linkIndex: 99 } : l));
    const [eth0] = pairInterfaces(box, tampered);
    expect(eth0?.peer).toBeNull();
    expect(eth0?.note).toMatch(/not in the host's network namespace/);
  });

  it('says when the host end is not a bridge port: the host routes it (a routed CNI)', () => {
    const unbridged = host.map((l) => (l.name === 'fx0a0a0ah0' ? { ...l, master: undefined, slaveKind: undefined } : l));
    const [eth0] = pairInterfaces(box, unbridged as typeof host);
    expect(eth0?.peer?.name).toBe('fx0a0a0ah0');
    expect(eth0?.bridge).toBeNull();
    expect(eth0?.forwardedBy).toBe('host-routing');
    expect(eth0?.note).not.toBeNull();
  });

  it('says a bridge passes on the frames of a bridge port, and nothing when enslaved to another kind', () => {
    expect(pairInterfaces(box, host)[0]?.forwardedBy).toBe('bridge');
    const bonded = host.map((l) => (l.name === 'fx0a0a0ah0' ? { ...l, master: 'bond0', slaveKind: 'bond' } : l));
    const [eth0] = pairInterfaces(box, bonded as typeof host);
    expect(eth0?.bridge).toBeNull();
    expect(eth0?.forwardedBy).toBeNull();
  });
});
