import { execFileSync } from 'node:child_process';

export const IN_CI = process.env.CI === 'true';

/** Whether `bin` is on PATH. */
export function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether privileged tests can run here: root and the tools. Outside CI they skip when
 * not; in CI (CI=true) a missing privilege or tool fails the run instead of skipping.
 */
export function privileged(tools: readonly string[] = ['ip', 'nsenter']): boolean {
  const missing = [process.getuid?.() === 0 ? null : 'root', ...tools.filter((t) => !has(t))].filter(Boolean);
  if (missing.length === 0) return true;
  if (IN_CI) throw new Error(`CI=true and these privileged tests cannot run: missing ${missing.join(', ')}`);
  return false;
}

/** Whether a Docker engine answers; in CI a missing one fails the run. */
export function dockerAvailable(): boolean {
  let ok = false;
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 15_000 });
    ok = privileged(['ip', 'nsenter', 'docker']);
  } catch {
    ok = false;
  }
  if (!ok && IN_CI) throw new Error('CI=true and no Docker engine answers: .ci/run must start one');
  return ok;
}

/**
 * Whether containerd answers at CONTAINERD_ADDRESS (default /run/containerd/containerd.sock)
 * through `ctr`, with root and the tools; in CI a missing one fails the run
 * (`scripts/setup.sh --docker` starts one).
 */
export function containerdAvailable(): boolean {
  let ok = false;
  try {
    execFileSync('ctr', ['--connect-timeout', '3s', 'version'], { stdio: 'ignore', timeout: 15_000 });
    ok = privileged(['ip', 'nsenter', 'ctr', 'tar', 'bridge', 'setpriv', 'tshark']);
  } catch {
    ok = false;
  }
  if (!ok && IN_CI) throw new Error('CI=true and containerd does not answer (ctr version): .ci/run must start one (scripts/setup.sh --docker)');
  return ok;
}
