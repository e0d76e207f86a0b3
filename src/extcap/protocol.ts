/**
 * Wireshark's extcap protocol, the words vethcap says in it (pure). Wireshark runs each
 * program of its extcap folder with `--extcap-interfaces` (the list of interfaces),
 * `--extcap-dlts --extcap-interface IF` (its link type), `--extcap-config --extcap-interface
 * IF` (the options of its dialog; tshark 4.0 asks this even for `tshark -D`, so it is
 * answered without looking anything up), and `--capture --extcap-interface IF --fifo PATH`
 * with the options chosen, where the program writes a pcap or pcapng stream into PATH until
 * Wireshark sends SIGTERM or closes the FIFO. Each answer is one sentence a line, of
 * `{key=value}` fields.
 */
import type { CaptureTarget } from '../targets/inventory.js';
import { VETHCAP_VERSION } from '../version.js';

/** Every interface vethcap offers starts with this, then the target spec: `vethcap:web`, `vethcap:netns:lab1`. */
export const INTERFACE_PREFIX = 'vethcap:';
/** The one interface listed when vethcap cannot capture here (not root, no sudo rule). */
export const NEEDS_ROOT_INTERFACE = 'vethcap:needs-root';

/** A field value: Wireshark's parser ends a value at `}`, and a line at a newline. */
function field(text: string): string {
  return text.replace(/[{}\r\n]/g, ' ');
}

function sentence(kind: string, fields: ReadonlyArray<readonly [string, string | number]>): string {
  return `${kind} ${fields.map(([k, v]) => `{${k}=${field(String(v))}}`).join('')}`;
}

/** The extcap interface for a target. */
export function interfaceName(spec: string): string {
  return `${INTERFACE_PREFIX}${spec}`;
}

/** The target spec an interface stands for, or undefined when it is none of vethcap's (or the explaining entry). */
export function targetOfInterface(name: string): string | undefined {
  if (!name.startsWith(INTERFACE_PREFIX) || name === NEEDS_ROOT_INTERFACE) return undefined;
  const spec = name.slice(INTERFACE_PREFIX.length);
  return spec === '' ? undefined : spec;
}

/** `--extcap-interfaces`: vethcap's version, then one interface per target. */
export function renderInterfaces(targets: readonly CaptureTarget[]): string {
  return [versionSentence(), ...targets.map((t) => sentence('interface', [['value', interfaceName(t.spec)], ['display', `vethcap: ${t.description}`]]))].join('\n') + '\n';
}

/**
 * `--extcap-interfaces` where vethcap cannot capture: one entry whose name says why and
 * what to do (Wireshark shows it in its interface list, where the user looks).
 */
export function renderNeedsRoot(how: string): string {
  return [versionSentence(), sentence('interface', [['value', NEEDS_ROOT_INTERFACE], ['display', `vethcap: capture needs root (nsenter, tcpdump, the runtimes' sockets). ${how}`]])].join('\n') + '\n';
}

function versionSentence(): string {
  return sentence('extcap', [['version', VETHCAP_VERSION]]);
}

/** `--extcap-dlts`: Ethernet; the stream is pcapng, whose interface blocks say each point's own link type. */
export function renderDlts(): string {
  return sentence('dlt', [['number', 1], ['name', 'EN10MB'], ['display', 'Ethernet, every capture point of the target']]) + '\n';
}

/** The options of vethcap's capture dialog, and the flags they come back as. */
export const CONFIG_OPTIONS = {
  other: '--other',
  skip: '--skip',
  snaplen: '--snaplen',
} as const;

export const MAX_SNAPLEN = 262144;

/** `--extcap-config`: other targets, points to skip, snap length. The same for every interface (no look-up). */
export function renderConfig(): string {
  const args: Array<ReadonlyArray<readonly [string, string | number]>> = [
    [
      ['number', 0],
      ['call', CONFIG_OPTIONS.other],
      ['display', 'Other targets'],
      ['type', 'string'],
      ['tooltip', 'More targets to capture together with this one, separated by spaces: container names, netns:NAME, pod:NAMESPACE/NAME, containerd:NAMESPACE/ID, pid:N'],
      ['placeholder', 'web netns:lab1'],
      ['group', 'Targets'],
    ],
    [
      ['number', 1],
      ['call', CONFIG_OPTIONS.skip],
      ['display', 'Points to skip'],
      ['type', 'string'],
      ['tooltip', 'Capture points to leave out, by label, separated by spaces, e.g. host:docker0'],
      ['placeholder', 'host:docker0'],
      ['group', 'Targets'],
    ],
    [
      ['number', 2],
      ['call', CONFIG_OPTIONS.snaplen],
      ['display', 'Snap length'],
      ['type', 'integer'],
      ['range', `1,${MAX_SNAPLEN}`],
      ['default', MAX_SNAPLEN],
      ['tooltip', 'Bytes captured per packet at each point'],
      ['group', 'Capture'],
    ],
  ];
  return args.map((a) => sentence('arg', a)).join('\n') + '\n';
}

/** A list option as the dialog gives it: words separated by spaces or commas. */
export function splitList(text: string | readonly string[] | undefined): string[] {
  if (text === undefined) return [];
  const items = typeof text === 'string' ? [text] : text;
  return items.flatMap((t) => t.split(/[\s,]+/)).filter((t) => t !== '');
}
