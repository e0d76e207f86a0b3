import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSessionManifest } from '../../../src/sources/session-manifest.js';
import { VethcapError } from '../../../src/errors.js';
import { runCli } from '../../helpers/cli.js';

const FIXTURE = new URL('../../../fixtures/sessions/icmp/', import.meta.url).pathname;
const point = { label: 'a', file: 'a.pcap', ifname: 'eth0', role: 'file' };

function reason(manifest: unknown): string {
  try {
    parseSessionManifest(typeof manifest === 'string' ? manifest : JSON.stringify(manifest), 'm.json');
  } catch (error) {
    expect(error).toBeInstanceOf(VethcapError);
    expect((error as VethcapError).code).toBe('BAD_CAPTURE');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('session manifest', () => {
  it('accepts every recorded session', () => {
    for (const name of ['arp', 'icmp', 'ipv6-nd', 'nat', 'tcp', 'udp']) {
      const where = new URL(`../../../fixtures/sessions/${name}/manifest.json`, import.meta.url).pathname;
      expect(parseSessionManifest(readFileSync(where, 'utf8'), where).points.length).toBeGreaterThan(1);
    }
  });
  it.each([
    ['{"vethcap":1,"po', /^m\.json: not valid JSON/],
    [{ vethcap: '1', points: [point] }, /not a vethcap session manifest/],
    [{ vethcap: 3, points: [point] }, /written by a newer vethcap \(manifest version 3; this one reads versions 1 to 2\): update vethcap/],
    [{ vethcap: 1, points: [] }, /no capture points listed/],
    [{ vethcap: 1, points: [null] }, /point 1 is not an object/],
    [{ vethcap: 1, points: [{ ...point, file: 3 }] }, /point 1 has no "file"/],
    [{ vethcap: 1, points: [point, point] }, /the label a is given to two points/],
    [{ vethcap: 1, points: [{ ...point, role: 'router' }] }, /a: "role" is not one of/],
    [{ vethcap: 1, points: [{ ...point, stats: { captured: 1.5, droppedByKernel: 0 } }] }, /a: "stats" needs/],
    [{ vethcap: 1, points: [{ ...point, peer: 'b' }] }, /a: "peer" names b, which is not a point/],
  ])('refuses %j with a sentence', (manifest, message) => {
    expect(reason(manifest)).toMatch(message);
  });
  it('merge on a folder with a broken manifest: exit 7, not an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vethcap-manifest-'));
    try {
      copyFileSync(join(FIXTURE, 'box_eth0.pcap'), join(dir, 'a.pcap'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ vethcap: 1, points: [{ file: 'a.pcap' }] }));
      const r = await runCli(['merge', dir, '-q']);
      expect(r.exitCode, r.stderr).toBe(7);
      expect(r.stderr.trim()).toBe(`vethcap: [BAD_CAPTURE] ${join(dir, 'manifest.json')}: point 1 has no "label" (text).`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
