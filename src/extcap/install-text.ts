/**
 * What `vethcap extcap --install` writes (pure): the wrapper Wireshark runs from its extcap
 * folder, the sudoers rule that lets it run vethcap as root, and where the folder is.
 *
 * Wireshark runs extcaps as the desktop user; vethcap needs root (nsenter, tcpdump, the
 * runtimes' sockets). The wrapper runs vethcap through `sudo -n` when a rule allows it,
 * directly when Wireshark itself runs as root, and otherwise unprivileged, where vethcap
 * lists one interface that says how to allow it. node and vethcap's entry are written in as
 * absolute paths: Wireshark started from a desktop menu may have no node on its PATH.
 */
import { VethcapError } from '../errors.js';
import { VETHCAP_VERSION } from '../version.js';

export interface WrapperPaths {
  /** The node binary (process.execPath at install time). */
  node: string;
  /** vethcap's entry script (bin/vethcap). */
  entry: string;
}

/** Where extcap programs go, as `tshark -G folders` says (4.0: "Extcap path"; 4.1+: "Global/Personal extcap path"). */
export interface ExtcapFolders {
  global?: string;
  personal?: string;
}

export function parseExtcapFolders(text: string): ExtcapFolders {
  const folders: ExtcapFolders = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(Global extcap path|Personal extcap path|Extcap path):\s*(\S.*?)\s*$/.exec(line);
    if (!m) continue;
    // 4.0 lists one folder, the global one; 4.1+ may list several of each (the first is used).
    if (m[1] === 'Personal extcap path') folders.personal ??= m[2]!;
    else folders.global ??= m[2]!;
  }
  return folders;
}

/** A path written into a script or a sudoers rule: absolute, and nothing a shell or sudoers would read as syntax. */
export function checkInstallPath(path: string, what: string): string {
  if (!path.startsWith('/') || /[\s'"\\,:=*?[\]!$`]/.test(path)) {
    throw new VethcapError('USAGE', `${what} ${JSON.stringify(path)} is not a plain absolute path (no spaces, quotes or shell characters), which the wrapper and the sudoers rule need.`, {
      hint: 'install vethcap (and node) under a path without such characters, e.g. /opt/vethcap.',
    });
  }
  return path;
}

/** The extcap actions Wireshark calls, as the sudoers rule allows them (each with its arguments). */
const ALLOWED_ACTIONS = ['--extcap-interfaces', '--extcap-interfaces *', '--extcap-dlts *', '--extcap-config *', '--capture *'] as const;

/** A user name, or %group, as sudoers takes it. */
export function checkSudoUser(user: string): string {
  if (!/^%?[a-z_][a-z0-9_.-]*\$?$/i.test(user)) throw new VethcapError('USAGE', `${JSON.stringify(user)} is not a user name (or %group) sudoers takes.`, { hint: 'give --user NAME, or --user %GROUP.' });
  return user;
}

/**
 * The sudoers rule: `user` may run vethcap's extcap actions as root without a password, and
 * nothing else. Each allowed command starts with one of Wireshark's actions, so --install
 * (which vethcap refuses next to them) is never run through it.
 */
export function renderSudoersRule(user: string, paths: WrapperPaths): string {
  const cmd = `${checkInstallPath(paths.node, 'node')} ${checkInstallPath(paths.entry, "vethcap's entry")} extcap`;
  return `${checkSudoUser(user)} ALL=(root) NOPASSWD: ${ALLOWED_ACTIONS.map((a) => `${cmd} ${a}`).join(', ')}`;
}

/** The sudoers file: why it is there, and the rule. */
export function renderSudoersFile(user: string, paths: WrapperPaths): string {
  return `# Written by \`vethcap extcap --install --sudoers\` (vethcap ${VETHCAP_VERSION}): lets Wireshark's\n# vethcap interfaces capture as root. Remove this file to take that back.\n${renderSudoersRule(user, paths)}\n`;
}

/**
 * What the wrapper answers itself, without starting node: the answers that are the same
 * for every interface. Wireshark asks --extcap-config of every interface each time it lists
 * them (tshark -D too), and a node start each, through sudo, made the list slow to come.
 */
export interface StaticAnswers {
  /** vethcap extcap --extcap-config. */
  config: string;
  /** vethcap extcap --extcap-dlts. */
  dlts: string;
}

function hereDoc(text: string, end: string): string {
  if (text.split('\n').includes(end)) throw new VethcapError('INTERNAL', `the text for the wrapper contains its end marker ${end}.`);
  return `cat <<'${end}'\n${text.endsWith('\n') ? text : `${text}\n`}${end}`;
}

/** The wrapper script placed in Wireshark's extcap folder. */
export function renderWrapper(paths: WrapperPaths, answers: StaticAnswers): string {
  const node = checkInstallPath(paths.node, 'node');
  const entry = checkInstallPath(paths.entry, "vethcap's entry");
  return `#!/bin/sh
# vethcap as a Wireshark capture interface, written by \`vethcap extcap --install\`
# (vethcap ${VETHCAP_VERSION}). Wireshark runs it as the desktop user; vethcap captures as
# root: directly when Wireshark runs as root, else through \`sudo -n\` when a rule allows it
# (\`sudo vethcap extcap --install --sudoers\`), else unprivileged, where it lists one
# interface that says how to allow it. node by its absolute path: a desktop's PATH may lack it.
NODE='${node}'
VETHCAP='${entry}'
# The same for every interface: answered here, without starting node (Wireshark asks often).
case "\${1:-}" in
  --extcap-config)
    ${hereDoc(answers.config, 'VETHCAP_CONFIG')}
    exit 0 ;;
  --extcap-dlts)
    ${hereDoc(answers.dlts, 'VETHCAP_DLTS')}
    exit 0 ;;
esac
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
if [ "$(id -u)" = 0 ]; then
  exec "$NODE" "$VETHCAP" extcap "$@"
fi
if command -v sudo >/dev/null 2>&1 && sudo -n -l "$NODE" "$VETHCAP" extcap "$@" >/dev/null 2>&1; then
  exec sudo -n "$NODE" "$VETHCAP" extcap "$@"
fi
exec "$NODE" "$VETHCAP" extcap "$@"
`;
}

/** The wrapper's file name: `vethcap`, or another for a second installation (tests). */
export function checkWrapperName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new VethcapError('USAGE', `${JSON.stringify(name)} is not a plain file name for the wrapper.`, { hint: 'use letters, digits, dots, dashes and underscores, e.g. --name vethcap.' });
  return name;
}

/**
 * How to allow capture, for the explaining interface and the error of a capture that cannot
 * run: the command to run once, with vethcap's entry as this process was started.
 */
export function howToAllow(entry: string): string {
  return `Allow it once with: sudo ${entry} extcap --install --sudoers; then restart Wireshark.`;
}
