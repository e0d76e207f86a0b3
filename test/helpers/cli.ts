import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/vethcap', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds first) as a user would. */
export async function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; extendEnv?: boolean; cwd?: string } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    timeout: options.timeoutMs ?? 60_000,
    stdin: 'ignore',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
