/**
 * `vethcap wireshark FILE` (a fake wireshark first on PATH records the arguments it gets),
 * `vethcap completion bash|zsh` (the script sourced into a real bash, asked as bash asks at
 * a Tab), and the installed profile.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { IN_CI, has, privileged } from '../helpers/env.js';
import { wiresharkCommand } from '../../src/render/wireshark-view.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-wireshark-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// In CI nothing skips for a missing tool: scripts/setup.sh installs zsh.
if (IN_CI && !(has('bash') && has('zsh'))) throw new Error('CI=true and bash or zsh is missing: scripts/setup.sh installs them');

describe('vethcap wireshark FILE', () => {
  const bin = join(dir, 'bin');
  const record = join(dir, 'argv.json');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'wireshark'), `#!/usr/bin/env node\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nprocess.exit(Number(process.env.FAKE_EXIT || 0));\n`);
  chmodSync(join(bin, 'wireshark'), 0o755);
  const file = join(dir, 'path.pcapng');
  writeFileSync(file, '');
  const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };

  it('runs wireshark with the view\'s options, what follows --, and -r FILE', async () => {
    const r = await runCli(['wireshark', file, '--', '-Y', 'icmp'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const argv = JSON.parse(readFileSync(record, 'utf8')) as string[];
    expect(['wireshark', ...argv]).toEqual(wiresharkCommand(file, ['-Y', 'icmp']));
    expect(argv).toContain('tcp.analyze_sequence_numbers:FALSE');
    expect(argv.find((a) => a.startsWith('gui.column.format:'))).toContain('%Cus:frame.packet_id:0:R');
  });

  it('wireshark failing: exit 6; no such file: exit 7, wireshark not run; no wireshark: exit 4', async () => {
    expect((await runCli(['wireshark', file], { env: { ...env, FAKE_EXIT: '3' } })).exitCode).toBe(6);
    rmSync(record, { force: true });
    const missing = await runCli(['wireshark', join(dir, 'nope.pcapng')], { env });
    expect(missing.exitCode).toBe(7);
    expect(existsSync(record)).toBe(false);
    const none = await runCli(['wireshark', file], { env: { PATH: '/nonexistent' } });
    expect(none.exitCode).toBe(4);
    expect(none.stderr).toContain('[MISSING_TOOL]');
  });
});

/** Runs the bash completion as bash does at a Tab: COMP_WORDS split at ':' as bash splits them. */
async function complete(line: string): Promise<string[]> {
  const words = line.split(/(?<=:)|(?=:)| +/).filter((w) => w !== '');
  if (line.endsWith(' ')) words.push('');
  const script = (await runCli(['completion', 'bash'])).stdout;
  writeFileSync(join(dir, 'completion.bash'), script);
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = await execa('bash', ['-c', `source ${join(dir, 'completion.bash')}; COMP_LINE='${line}'; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _vethcap; printf '%s\\n' "\${COMPREPLY[@]}"`]);
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!has('bash'))('vethcap completion bash', () => {
  it('completes the commands, and each command\'s flags from its yargs definition', async () => {
    expect(await complete('vethcap ')).toEqual(expect.arrayContaining(['trace', 'verify', 'resolve', 'merge', 'demo', 'extcap', 'wireshark', 'completion']));
    expect(await complete('vethcap tr')).toEqual(['trace']);
    expect(await complete('vethcap trace --fi')).toEqual(['--filter']);
    expect(await complete('vethcap trace --no-b')).toEqual(['--no-bridge']);
    expect(await complete('vethcap verify box --pro')).toEqual(['--probe']);
    expect(await complete('vethcap extcap --sudo')).toEqual(['--sudoers', '--sudoers-file']);
    // The value of a flag is not a target.
    expect(await complete('vethcap trace --filter ')).toEqual([]);
  });

  describe.skipIf(!privileged(['ip']))('targets, with a namespace of its own', () => {
    const name = `vcomp-${randomBytes(3).toString('hex')}`;
    afterAll(async () => {
      await execa('ip', ['netns', 'del', name], { reject: false });
    });
    it('completes netns: names for trace, resolve and verify --to, after the colon as bash splits it', async () => {
      await execa('ip', ['netns', 'add', name]);
      expect(await complete(`vethcap trace netns:${name.slice(0, 7)}`)).toEqual([name]);
      expect(await complete(`vethcap resolve netns:${name.slice(0, 7)}`)).toEqual([name]);
      expect(await complete(`vethcap verify box --to netns:${name.slice(0, 7)}`)).toEqual([name]);
      expect(await complete(`vethcap merge netns:${name.slice(0, 7)}`)).toEqual([]);
      const listed = await runCli(['completion', '--targets']);
      expect(listed.stdout.split('\n')).toContain(`netns:${name}`);
    });
  });
});

describe.skipIf(!has('zsh'))('vethcap completion zsh', () => {
  /** Runs _vethcap as zsh's completion would, with compadd, _describe and _files recording what they are given. */
  async function zshComplete(words: string[]): Promise<string[]> {
    writeFileSync(join(dir, '_vethcap'), (await runCli(['completion', 'zsh'])).stdout);
    const stubs = 'compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }; _describe() { print -l -- ${(P)2} }; _files() { print FILES }; compdef() {}';
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = await execa('zsh', ['-c', `${stubs}; source ${join(dir, '_vethcap')}; words=(${quoted}); CURRENT=${words.length}; PREFIX='${words.at(-1)}'; _vethcap`]);
    return r.stdout.split('\n').filter(Boolean);
  }
  it('is read by zsh, and offers commands, flags, and no target where a flag takes a value', async () => {
    expect(await zshComplete(['vethcap', 'tr'])).toEqual(expect.arrayContaining(['trace:Capture at every point of the targets\' veth pairs and bridge at once, and print each packet\'s path as it happens', 'extcap:Be a Wireshark capture interface (Wireshark\'s extcap protocol)']));
    expect((await execa('zsh', ['-n', join(dir, '_vethcap')], { reject: false })).exitCode).toBe(0);
    expect(await zshComplete(['vethcap', 'trace', '--fi'])).toContain('--filter');
    expect(await zshComplete(['vethcap', 'trace', '--filter', ''])).toEqual(['FILES']);
  });
});

describe('vethcap completion, zsh as text', () => {
  it('has the commands described and each command\'s flags', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('#compdef vethcap');
    expect(r.stdout).toMatch(/'trace:Capture at every point/);
    expect(r.stdout).toMatch(/ {4}trace\) flags=\(.*'--filter'/);
    expect((await runCli(['completion', 'fish'])).exitCode).toBe(2);
  });
});

describe('vethcap extcap --install DIR, the profile', () => {
  it('writes the wrapper and the "vethcap" profile under HOME, and prints the sudoers rule', async () => {
    const home = join(dir, 'home');
    const extcap = join(dir, 'extcap');
    const r = await runCli(['extcap', '--install', extcap, '--user', 'alice'], { env: { HOME: home } });
    expect(r.exitCode, r.stderr).toBe(0);
    const wrapper = join(extcap, 'vethcap');
    expect(readFileSync(wrapper, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    expect(execFileSync('stat', ['-c', '%a', wrapper], { encoding: 'utf8' }).trim()).toBe('755');
    const prefs = readFileSync(join(home, '.config/wireshark/profiles/vethcap/preferences'), 'utf8');
    expect(prefs).toContain('tcp.analyze_sequence_numbers: FALSE');
    expect(prefs).toContain('%Cus:frame.interface_name:0:R');
    expect(r.stdout).toMatch(/^ {2}alice ALL=\(root\) NOPASSWD: \S+ \S+ extcap --extcap-interfaces, /m);
    // The wrapper answers as Wireshark asks.
    const config = await execa(wrapper, ['--extcap-config', '--extcap-interface', 'vethcap:web']);
    expect(config.stdout.split('\n')[0]).toMatch(/^arg \{number=0\}\{call=--other\}/);
  });
});
