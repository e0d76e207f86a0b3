/**
 * vethcap as a Wireshark capture interface, driven by tshark, which runs extcaps as
 * Wireshark does: `tshark -D` lists vethcap's interfaces, and `tshark -i vethcap:TARGET`
 * gets the merged pcapng through the FIFO, one interface per capture point. As root, as an
 * unprivileged user with the sudoers rule, and as one without it (the explaining entry).
 *
 * tshark 4.0 reads extcaps only from its global folder (`tshark -G folders`), so the
 * wrapper goes there under a unique name, and is removed after, as are the test's user,
 * its sudoers file and the lab.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_CI, has, privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { BIN, runCli } from '../helpers/cli.js';

/** The global extcap folder of the installed tshark, or undefined without tshark. */
function extcapFolder(): string | undefined {
  if (!has('tshark')) return undefined;
  const text = execFileSync('tshark', ['-G', 'folders'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return /^(?:Global extcap path|Extcap path):\s*(\S+)/m.exec(text)?.[1];
}

const CAN_RUN = privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'tshark', 'dumpcap', 'mkfifo']);
const FOLDER = CAN_RUN ? extcapFolder() : undefined;
const CAN_SUDO = CAN_RUN && has('sudo') && has('useradd') && has('userdel') && has('setpriv') && existsSync('/etc/sudoers.d');
if (IN_CI && !CAN_SUDO) throw new Error('CI=true and the unprivileged extcap tests cannot run: install sudo (scripts/setup.sh does)');

const id = randomBytes(3).toString('hex');
const WRAPPER = `vethcap-test-${id}`;
const dir = mkdtempSync(join(tmpdir(), 'vethcap-extcap-test-'));
chmodSync(dir, 0o777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** tshark's fields of every packet, one array per packet. */
async function tsharkFields(file: string, fields: string[]): Promise<string[][]> {
  const { stdout } = await execa('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])]);
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/** `tshark -D`'s interfaces of vethcap, as name → description. */
function vethcapInterfaces(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^\d+\. (vethcap:\S+)(?: \((.*)\))?$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2] ?? '');
  }
  return out;
}

/** Every packet id at most once per point, and the points each id was seen at. */
function pointsById(rows: string[][]): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const [point, packetId] of rows) byId.set(packetId!, [...(byId.get(packetId!) ?? []), point!]);
  return byId;
}

describe.runIf(CAN_RUN && FOLDER !== undefined)('vethcap extcap under tshark', () => {
  const lab = useLab({ hosts: ['box', 'web'] });
  const wrapper = join(FOLDER ?? '/nonexistent', WRAPPER);
  let ping: ResultPromise | undefined;

  beforeAll(async () => {
    // No folder given: the one tshark -G folders names.
    const r = await runCli(['extcap', '--install', '--name', WRAPPER, '--no-profile']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(wrapper);
    expect(readFileSync(wrapper, 'utf8')).toContain(`extcap "$@"`);
    // Traffic for every capture: box pings web, inside the lab, until the tests end.
    ping = execa('ip', ['netns', 'exec', lab().host('box').netns, 'ping', '-i', '0.2', lab().host('web').ip], { reject: false });
  });

  afterAll(() => {
    ping?.kill('SIGTERM');
    rmSync(wrapper, { force: true });
  });

  const target = () => `netns:${lab().host('box').netns}`;
  const iface = () => `vethcap:${target()}`;

  // tshark starts every extcap of its folder several times per command: room for a loaded machine.
  it('as root: tshark -D lists the lab namespace, and tshark -i gives every point as its own interface, one packet id per packet', { timeout: 180_000 }, async () => {
    const list = await execa('tshark', ['-D'], { reject: false });
    expect(list.exitCode, list.stderr).toBe(0);
    const listed = vethcapInterfaces(list.stdout);
    expect([...listed.keys()]).toContain(iface());
    expect(listed.get(iface())).toContain(lab().host('box').netns);
    expect([...listed.keys()]).not.toContain('vethcap:needs-root');

    const file = join(dir, 'root.pcapng');
    const cap = await execa('tshark', ['-i', iface(), '-f', 'icmp', '-a', 'duration:4', '-w', file], { reject: false, timeout: 60_000 });
    expect(cap.exitCode, cap.stderr).toBe(0);
    const rows = await tsharkFields(file, ['frame.interface_name', 'frame.packet_id', 'icmp.type']);
    expect(rows.length).toBeGreaterThan(6);
    const points = [...new Set(rows.map((r) => r[0]!))];
    // box's end, its host end, the bridge: each its own interface.
    expect(points).toHaveLength(3);
    expect(points).toEqual(expect.arrayContaining([`host:${lab().host('box').hostIf}`, `host:${lab().bridge}`]));
    expect(points.filter((p) => p.endsWith(':eth0'))).toHaveLength(1);
    for (const r of rows) expect(['0', '8']).toContain(r[2]);
    const byId = pointsById(rows);
    for (const [packetId, at] of byId) expect(new Set(at).size, `packet ${packetId} at ${at.join(', ')}`).toBe(at.length);
    // Paths seen whole: the same id at all three points.
    expect([...byId.values()].filter((at) => at.length === 3).length).toBeGreaterThan(2);
  });

  it('--capture into a FIFO directly: the dialog\'s other targets and points to skip, and SIGTERM ends it with exit 0', async () => {
    const fifo = join(dir, 'direct.fifo');
    const file = join(dir, 'direct.pcapng');
    await execa('mkfifo', [fifo]);
    const reader = execa('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, file], { reject: false });
    const child = execa(process.execPath, [BIN, 'extcap', '--capture', '--extcap-interface', iface(), '--fifo', fifo, '--extcap-capture-filter', 'icmp', '--other', `netns:${lab().host('web').netns}`, '--skip', `host:${lab().bridge}`, '--snaplen', '96'], { reject: false });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    child.kill('SIGTERM');
    const ended = await child;
    await reader;
    expect(ended.exitCode, ended.stderr).toBe(0);
    const rows = await tsharkFields(file, ['frame.interface_name', 'frame.packet_id', 'frame.cap_len', 'frame.comment']);
    const points = [...new Set(rows.map((r) => r[0]!))];
    // box and web at both ends of their veth pairs; the bridge skipped.
    expect(points).toHaveLength(4);
    expect(points).toEqual(expect.arrayContaining([`host:${lab().host('box').hostIf}`, `host:${lab().host('web').hostIf}`]));
    expect(points.filter((p) => p.endsWith(':eth0'))).toHaveLength(2);
    for (const r of rows) expect(Number(r[2])).toBeLessThanOrEqual(96);
    expect(rows.filter((r) => /^vethcap #\d+ /.test(r[3] ?? '')).length).toBeGreaterThan(0);
    expect([...pointsById(rows).values()].filter((at) => at.length === 4).length).toBeGreaterThan(2);
    // The section comment says how to see the points.
    const info = await execa('capinfos', ['-k', file]);
    expect(info.stdout).toContain('frame.packet_id');
  });

  it('Wireshark closing the FIFO ends it, even with no packet to write (exit 0, no tcpdump left)', async () => {
    const fifo = join(dir, 'quiet.fifo');
    await execa('mkfifo', [fifo]);
    const reader = execa('sh', ['-c', 'exec cat "$1" > /dev/null', 'sh', fifo], { reject: false });
    const child = execa(process.execPath, [BIN, 'extcap', '--capture', '--extcap-interface', iface(), '--fifo', fifo, '--extcap-capture-filter', 'udp port 9'], { reject: false });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    reader.kill('SIGTERM');
    await reader;
    const started = Date.now();
    const ended = await Promise.race([child, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000))]);
    if (ended === undefined) child.kill('SIGKILL');
    expect(ended?.exitCode, ended?.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const left = await execa('pgrep', ['-f', `tcpdump.*${lab().host('box').hostIf}`], { reject: false });
    expect(left.stdout).toBe('');
  });

  it('refuses to write anything but a FIFO (run through sudo it is root): exit 7', async () => {
    const plain = join(dir, 'plain-file');
    execFileSync('sh', ['-c', `echo keep > ${plain}`]);
    const r = await runCli(['extcap', '--capture', '--extcap-interface', iface(), '--fifo', plain]);
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('[IO]');
    expect(readFileSync(plain, 'utf8')).toBe('keep\n');
  });

  describe.runIf(CAN_SUDO)('as an unprivileged user', () => {
    const user = `vcx${id}`;
    const sudoers = `/etc/sudoers.d/vethcap-test-${id}`;
    let uid = 0;
    let gid = 0;
    const asUser = (args: string[], timeout = 60_000) =>
      execa('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'env', `HOME=${dir}`, `USER=${user}`, ...args], { reject: false, timeout, cwd: dir });

    beforeAll(async () => {
      await execa('useradd', ['-M', '-d', dir, '-s', '/bin/sh', user]);
      uid = Number((await execa('id', ['-u', user])).stdout);
      gid = Number((await execa('id', ['-g', user])).stdout);
    });

    afterAll(async () => {
      rmSync(sudoers, { force: true });
      await execa('userdel', [user], { reject: false });
    });

    it('without the sudoers rule: one interface, vethcap:needs-root, saying how to allow it; capturing it exits 5', { timeout: 120_000 }, async () => {
      const list = await asUser(['tshark', '-D']);
      expect(list.exitCode, list.stderr).toBe(0);
      const listed = vethcapInterfaces(list.stdout);
      expect([...listed.keys()]).toEqual(['vethcap:needs-root']);
      expect(listed.get('vethcap:needs-root')).toContain('--install --sudoers');
      // The wrapper run by hand, as Wireshark would, for the exit code.
      const fifo = join(dir, 'user.fifo');
      await execa('mkfifo', [fifo]);
      await execa('chown', [`${uid}:${gid}`, fifo]);
      const cap = await asUser([wrapper, '--capture', '--extcap-interface', iface(), '--fifo', fifo]);
      expect(cap.exitCode).toBe(5);
      expect(cap.stderr).toContain('[PERMISSION]');
    });

    it('with the sudoers rule (--install --sudoers): tshark -D lists the lab, and tshark -i captures every point through sudo -n', { timeout: 180_000 }, async () => {
      // As `sudo vethcap extcap --install --sudoers` run by that user: the rule and the profile are the user's.
      const r = await runCli(['extcap', '--install', FOLDER!, '--name', WRAPPER, '--sudoers', '--sudoers-file', sudoers], { env: { SUDO_USER: user, SUDO_UID: String(uid), SUDO_GID: String(gid) } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(readFileSync(sudoers, 'utf8')).toContain(`${user} ALL=(root) NOPASSWD: `);
      expect(execFileSync('stat', ['-c', '%a %u', sudoers], { encoding: 'utf8' }).trim()).toBe('440 0');
      const profile = join(dir, '.config/wireshark/profiles/vethcap/preferences');
      expect(readFileSync(profile, 'utf8')).toContain('tcp.analyze_sequence_numbers: FALSE');
      expect(execFileSync('stat', ['-c', '%u', profile, join(dir, '.config')], { encoding: 'utf8' }).trim().split('\n')).toEqual([String(uid), String(uid)]);
      const list = await asUser(['tshark', '-D']);
      expect(list.exitCode, list.stderr).toBe(0);
      const listed = vethcapInterfaces(list.stdout);
      expect([...listed.keys()]).toContain(iface());
      expect([...listed.keys()]).not.toContain('vethcap:needs-root');

      const file = join(dir, 'user.pcapng');
      const cap = await asUser(['tshark', '-i', iface(), '-f', 'icmp', '-a', 'duration:4', '-w', file]);
      expect(cap.exitCode, cap.stderr).toBe(0);
      const rows = await tsharkFields(file, ['frame.interface_name', 'frame.packet_id']);
      expect(new Set(rows.map((r) => r[0])).size).toBe(3);
      const byId = pointsById(rows);
      for (const at of byId.values()) expect(new Set(at).size).toBe(at.length);
      expect([...byId.values()].filter((at) => at.length === 3).length).toBeGreaterThan(2);
      // The rule allows Wireshark's actions only: an install through it is refused by sudo itself.
      const node = process.execPath;
      const install = await asUser(['sudo', '-n', node, BIN, 'extcap', '--install', dir]);
      expect(install.exitCode).not.toBe(0);
      expect(existsSync(join(dir, 'vethcap'))).toBe(false);
    });
  });
});
