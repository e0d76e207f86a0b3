/**
 * `vethcap extcap --install [DIR]` (I/O): the wrapper into Wireshark's extcap folder (or
 * DIR), the `vethcap` configuration profile into the desktop user's Wireshark folder, and,
 * with --sudoers, the sudoers rule, checked by `visudo -cf` before it goes into place.
 */
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { VethcapError, ioReason } from '../errors.js';
import { run } from '../exec/run.js';
import { findOnPath } from '../exec/tools.js';
import { renderProfilePreferences, VIEW_PROFILE } from '../render/wireshark-view.js';
import { VETHCAP_VERSION } from '../version.js';
import { renderConfig, renderDlts } from './protocol.js';
import { checkWrapperName, parseExtcapFolders, renderSudoersFile, renderSudoersRule, renderWrapper, type WrapperPaths } from './install-text.js';

export const DEFAULT_SUDOERS_FILE = '/etc/sudoers.d/vethcap';

export interface InstallOptions {
  /** The folder for the wrapper; default: the one the installed Wireshark reads. */
  dir?: string;
  /** The wrapper's file name (default vethcap). */
  name?: string;
  /** Write the sudoers rule (needs root). */
  sudoers?: boolean;
  sudoersFile?: string;
  /** Whom the rule is for: default the user behind sudo, else the one running. */
  user?: string;
  /** Write the configuration profile (default true). */
  profile?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface InstallResult {
  wrapper: string;
  paths: WrapperPaths;
  user: string;
  rule: string;
  sudoersFile?: string;
  profile?: string;
  /** Why the profile could not be written. */
  profileError?: string;
}

/** node, and vethcap's entry as this process was started (bin/vethcap), both resolved. */
export function currentPaths(argv1: string | undefined = process.argv[1]): WrapperPaths {
  if (!argv1) throw new VethcapError('INTERNAL', "cannot tell vethcap's own entry script (process.argv[1] is empty).");
  return { node: realpathSync(process.execPath), entry: realpathSync(argv1) };
}

/** Wireshark's global extcap folder as Debian/Ubuntu, Fedora/RHEL, Arch and a source build place it. */
const KNOWN_GLOBAL_FOLDERS = ['/usr/lib/x86_64-linux-gnu/wireshark/extcap', '/usr/lib/aarch64-linux-gnu/wireshark/extcap', '/usr/lib64/wireshark/extcap', '/usr/lib/wireshark/extcap', '/usr/local/lib/wireshark/extcap'];

async function firstFolder(candidates: readonly string[]): Promise<string | undefined> {
  for (const dir of candidates) if ((await lstat(dir).catch(() => undefined))?.isDirectory()) return dir;
  return undefined;
}

/** The extcap folder the installed Wireshark reads (`tshark -G folders`): the global one as root, else the personal one. */
export async function extcapFolder(): Promise<string> {
  const hint = 'give the folder yourself: vethcap extcap --install DIR (Wireshark: Help › About Wireshark › Folders, "Extcap path").';
  if (!(await findOnPath('tshark'))) {
    // Wireshark without tshark (a separate package on Debian): where distributions put the global folder.
    const known = process.geteuid?.() === 0 ? await firstFolder(KNOWN_GLOBAL_FOLDERS) : undefined;
    if (known) return known;
    throw new VethcapError('MISSING_TOOL', 'vethcap asks tshark where Wireshark looks for extcap programs, and tshark is not installed.', { hint: `apt-get install tshark, or ${hint}` });
  }
  const folders = parseExtcapFolders(await run('tshark', ['-G', 'folders']));
  const root = process.geteuid?.() === 0;
  const folder = root ? (folders.global ?? folders.personal) : (folders.personal ?? folders.global);
  if (!folder) throw new VethcapError('COMMAND_FAILED', 'tshark -G folders names no extcap folder.', { hint });
  if (!root && folder === folders.global) {
    throw new VethcapError('PERMISSION', `this Wireshark reads extcap programs only from ${folder}, which only root may write.`, { hint: 'run it as root: sudo vethcap extcap --install [--sudoers].' });
  }
  return folder;
}

/** Writes `text` to `path` through a new file renamed into place: never half a file, never through a symlink. */
async function writeAtomically(path: string, text: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing && !existing.isFile()) throw new VethcapError('IO', `cannot write ${path}: it exists and is not a regular file.`, { hint: 'remove it, or choose another place.' });
  const temp = join(dirname(path), `.${process.pid}.vethcap-tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text);
      await handle.chmod(mode);
      if (owner) await handle.chown(owner.uid, owner.gid);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof VethcapError) throw error;
    const reason = ioReason(error, 'no such directory');
    throw new VethcapError(reason === 'permission denied' ? 'PERMISSION' : 'IO', `cannot write ${path}: ${reason}.`, { hint: reason === 'permission denied' ? 'run it as root (sudo).' : 'check the folder.', cause: error });
  }
}

/** The user behind sudo, when vethcap runs as root through it. */
function sudoUser(env: NodeJS.ProcessEnv): { name: string; uid: number; gid: number } | undefined {
  if (process.geteuid?.() !== 0 || !env.SUDO_USER || env.SUDO_USER === 'root') return undefined;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { name: env.SUDO_USER, uid, gid } : undefined;
}

/** A user's home folder from /etc/passwd. */
async function homeOf(user: string): Promise<string | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[5]) return f[5];
  }
  return undefined;
}

/** Creates the folders down to `dir` that are missing. */
async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; !(await lstat(d).catch(() => undefined)); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    await mkdir(d, { mode: 0o755 }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'EEXIST') throw new VethcapError('IO', `cannot create ${d}: ${ioReason(e, 'no such directory')}.`, { cause: e });
    });
  }
}

export async function install(options: InstallOptions = {}): Promise<InstallResult> {
  const env = options.env ?? process.env;
  const paths = currentPaths();
  const name = checkWrapperName(options.name ?? 'vethcap');
  const behindSudo = sudoUser(env);
  const user = options.user ?? behindSudo?.name ?? (process.geteuid?.() === 0 ? 'root' : (env.USER ?? env.LOGNAME ?? 'root'));
  const rule = renderSudoersRule(user, paths);
  const text = renderWrapper(paths, { config: renderConfig(), dlts: renderDlts() });
  const dir = options.dir ?? (await extcapFolder());
  await makeFolders(dir);
  const wrapper = join(dir, name);
  await writeAtomically(wrapper, text, 0o755);
  const result: InstallResult = { wrapper, paths, user, rule };
  if (options.sudoers) result.sudoersFile = await writeSudoers(options.sudoersFile ?? DEFAULT_SUDOERS_FILE, user, paths);
  if (options.profile ?? true) {
    const home = behindSudo ? await homeOf(behindSudo.name) : homedir();
    if (home) {
      const profileDir = join(home, '.config', 'wireshark', 'profiles', VIEW_PROFILE);
      const profile = join(profileDir, 'preferences');
      // In the user's home, written as that user: root following a link the user planted there would write anywhere.
      // A profile is a convenience: one that cannot be written is said, and the rest stands.
      try {
        await asUser(behindSudo, async () => {
          await makeFolders(profileDir);
          await writeAtomically(profile, renderProfilePreferences(VETHCAP_VERSION), 0o644);
        });
        result.profile = profile;
      } catch (error) {
        result.profileError = `${profile}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  return result;
}

/** Runs `fn` with the effective user and group of `owner` (root behind sudo), then root's again. */
async function asUser<T>(owner: { uid: number; gid: number } | undefined, fn: () => Promise<T>): Promise<T> {
  if (!owner || !process.seteuid || !process.setegid) return fn();
  process.setegid(owner.gid);
  process.seteuid(owner.uid);
  try {
    return await fn();
  } finally {
    process.seteuid(0);
    process.setegid(0);
  }
}

/** The sudoers rule into `file`, after `visudo -cf` accepts it (where visudo is installed). */
async function writeSudoers(file: string, user: string, paths: WrapperPaths): Promise<string> {
  if (process.geteuid?.() !== 0) throw new VethcapError('PERMISSION', `writing the sudoers rule into ${file} needs root.`, { hint: 'run: sudo vethcap extcap --install --sudoers.' });
  const text = renderSudoersFile(user, paths);
  const check = join(dirname(file), `.${process.pid}.vethcap-check`);
  const visudo = await findOnPath('visudo', `${process.env.PATH ?? ''}:/usr/sbin:/sbin`);
  if (visudo) {
    await writeAtomically(check, text, 0o440);
    try {
      await run(visudo, ['-cf', check]);
    } catch (error) {
      throw new VethcapError('COMMAND_FAILED', `visudo refused the sudoers rule vethcap made, so ${file} was not written.`, { cause: error, hint: 'please report it, with the rule: vethcap extcap --install prints it.' });
    } finally {
      await rm(check, { force: true });
    }
  }
  await writeAtomically(file, text, 0o440, { uid: 0, gid: 0 });
  return file;
}
