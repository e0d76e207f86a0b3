import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/main.js';

describe('vethcap extcap: the command lines it takes', () => {
  it('one of Wireshark\'s actions, with what it needs', async () => {
    expect(await parseCommandLine(['extcap', '--extcap-interfaces', '--extcap-version=4.0'])).toMatchObject({ command: 'extcap', options: { action: 'extcap-interfaces' } });
    expect(await parseCommandLine(['extcap', '--capture', '--extcap-interface', 'vethcap:web', '--fifo', '/tmp/f', '--other', 'db netns:x', '--snaplen', '96'])).toMatchObject({ options: { action: 'capture', other: 'db netns:x', snaplen: 96 } });
    // A flag of a newer Wireshark is no reason to fail.
    expect(await parseCommandLine(['extcap', '--extcap-config', '--extcap-interface', 'vethcap:web', '--extcap-reload-option', 'x'])).toMatchObject({ options: { action: 'extcap-config' } });
    for (const bad of [['extcap'], ['extcap', '--capture', '--extcap-interface', 'vethcap:web'], ['extcap', '--extcap-config'], ['extcap', '--extcap-interfaces', '--capture'], ['extcap', '--capture', '--extcap-interface', 'vethcap:web', '--fifo', 'f', '--snaplen', '0']]) {
      await expect(parseCommandLine(bad), bad.join(' ')).rejects.toMatchObject({ code: 'USAGE' });
    }
  });

  it('--install alone: never next to an action, which is how the sudoers rule lets it run', async () => {
    expect(await parseCommandLine(['extcap', '--install'])).toMatchObject({ options: { install: '' } });
    expect(await parseCommandLine(['extcap', '--install', '/tmp/dir', '--sudoers', '--user', 'alice'])).toMatchObject({ options: { install: '/tmp/dir', sudoers: true } });
    for (const bad of [
      ['extcap', '--extcap-interfaces', '--install', '/etc/cron.d'],
      ['extcap', '--extcap-interfaces', '--no-extcap-interfaces', '--install', '/etc/cron.d'],
      ['extcap', '--capture', '--install', '/x', '--sudoers'],
      ['extcap', '--sudoers'],
      ['extcap', '--user', 'bob', '--extcap-interfaces'],
    ]) {
      await expect(parseCommandLine(bad), bad.join(' ')).rejects.toMatchObject({ code: 'USAGE' });
    }
  });
});

describe('vethcap wireshark and completion', () => {
  it('take a file and what follows --; a shell, bash or zsh', async () => {
    expect(await parseCommandLine(['wireshark', 'a.pcapng', '--', '-Y', 'icmp'])).toEqual({ command: 'wireshark', options: { file: 'a.pcapng', print: false, extra: ['-Y', 'icmp'] } });
    expect(await parseCommandLine(['completion', 'zsh'])).toEqual({ command: 'completion', options: { shell: 'zsh' } });
    await expect(parseCommandLine(['completion', 'fish'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(parseCommandLine(['wireshark'])).rejects.toMatchObject({ code: 'USAGE' });
  });
});
