import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfig, renderDlts } from '../../../src/extcap/protocol.js';
import { checkInstallPath, checkSudoUser, checkWrapperName, parseExtcapFolders, renderSudoersRule, renderWrapper } from '../../../src/extcap/install-text.js';

const PATHS = { node: '/usr/bin/node', entry: '/opt/vethcap/bin/vethcap' };
const ANSWERS = { config: renderConfig(), dlts: renderDlts() };

describe('tshark -G folders', () => {
  it('4.0: one "Extcap path", the global folder', () => {
    const text = 'Temp:                \t/tmp\nPersonal configuration:\t/root/.config/wireshark\nExtcap path:         \t/usr/lib/x86_64-linux-gnu/wireshark/extcap\nMaxMind database path:\t/usr/share/GeoIP\n';
    expect(parseExtcapFolders(text)).toEqual({ global: '/usr/lib/x86_64-linux-gnu/wireshark/extcap' });
  });
  it('4.2: global and personal', () => {
    const text = 'Personal Extcap path:\t/home/a/.local/lib/wireshark/extcap\nGlobal Extcap path:\t/usr/lib/wireshark/extcap\n';
    expect(parseExtcapFolders(text.replace(/Extcap/g, 'extcap'))).toEqual({ global: '/usr/lib/wireshark/extcap', personal: '/home/a/.local/lib/wireshark/extcap' });
  });
});

describe('the wrapper', () => {
  it('runs node and vethcap by absolute path: directly as root, through sudo -n when allowed, else unprivileged', () => {
    const text = renderWrapper(PATHS, ANSWERS);
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain("NODE='/usr/bin/node'");
    expect(text).toContain("VETHCAP='/opt/vethcap/bin/vethcap'");
    const execs = text.split('\n').filter((l) => /^\s*(if .*)?exec |&& sudo -n -l/.test(l));
    expect(execs.map((l) => l.trim())).toEqual([
      'exec "$NODE" "$VETHCAP" extcap "$@"',
      'if command -v sudo >/dev/null 2>&1 && sudo -n -l "$NODE" "$VETHCAP" extcap "$@" >/dev/null 2>&1; then',
      'exec sudo -n "$NODE" "$VETHCAP" extcap "$@"',
      'exec "$NODE" "$VETHCAP" extcap "$@"',
    ]);
  });
  it('answers --extcap-config and --extcap-dlts itself, as vethcap would', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vethcap-wrapper-'));
    try {
      const wrapper = join(dir, 'vethcap');
      writeFileSync(wrapper, renderWrapper({ node: '/nonexistent/node', entry: '/nonexistent/vethcap' }, ANSWERS), { mode: 0o755 });
      expect(execFileSync(wrapper, ['--extcap-config', '--extcap-interface', 'vethcap:web'], { encoding: 'utf8' })).toBe(ANSWERS.config);
      expect(execFileSync(wrapper, ['--extcap-dlts', '--extcap-interface', 'vethcap:web'], { encoding: 'utf8' })).toBe(ANSWERS.dlts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses paths a shell or sudoers would read as syntax', () => {
    for (const bad of ['relative/node', "/opt/it's/node", '/opt/a b/node', '/opt/a,b', '/opt/$x']) expect(() => checkInstallPath(bad, 'node')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(checkInstallPath('/usr/local/lib/node_modules/vethcap/bin/vethcap', 'entry')).toBe('/usr/local/lib/node_modules/vethcap/bin/vethcap');
    expect(() => checkWrapperName('../x')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('the sudoers rule', () => {
  it("allows Wireshark's four actions only, each with its arguments, without a password", () => {
    const rule = renderSudoersRule('alice', PATHS);
    const [who, commands] = rule.split(' NOPASSWD: ');
    expect(who).toBe('alice ALL=(root)');
    expect(commands!.split(', ')).toEqual([
      '/usr/bin/node /opt/vethcap/bin/vethcap extcap --extcap-interfaces',
      '/usr/bin/node /opt/vethcap/bin/vethcap extcap --extcap-interfaces *',
      '/usr/bin/node /opt/vethcap/bin/vethcap extcap --extcap-dlts *',
      '/usr/bin/node /opt/vethcap/bin/vethcap extcap --extcap-config *',
      '/usr/bin/node /opt/vethcap/bin/vethcap extcap --capture *',
    ]);
    expect(renderSudoersRule('%wireshark', PATHS).startsWith('%wireshark ALL=(root)')).toBe(true);
  });
  it('takes only user or group names', () => {
    for (const bad of ['ALL, bob', 'a b', '', 'x=y']) expect(() => checkSudoUser(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
