import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/vethcap', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds first) as a user would. */
export async function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; extendEnv?: boolean; cwd?: string; netns?: string } = {}): Promise<CliResult> {
  // In a namespace (`ip netns exec`): vethcap sees that namespace as its host, as on a router.
  const [file, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const result = await execa(file, argv, {
    reject: false,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    timeout: options.timeoutMs ?? 60_000,
    stdin: 'ignore',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Resolves once a running `vethcap trace` says on stderr that every point is armed; rejects if it ends first. */
export function untilArmed(child: { stderr: NodeJS.ReadableStream | null; then: PromiseLike<unknown>['then'] }): Promise<void> {
  let said = '';
  return new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('points armed')) resolve();
    });
    void child.then(() => reject(new Error(`trace ended before arming: ${said}`)));
  });
}
