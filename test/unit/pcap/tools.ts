/** Test helpers: external Wireshark/tcpdump tools and temp dirs. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function haveTool(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Runs a tool and returns stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** A fresh temp dir under os.tmpdir() and its remover. */
export function tempDir(prefix = 'vethcap-codec-'): { dir: string; file: (n: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (n) => join(dir, n), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
