/**
 * How Wireshark should show a vethcap pcapng (pure): columns for the capture point, the
 * packet id, the direction and the hop comment, and TCP sequence analysis off (it calls
 * the copies of one packet at several points "retransmissions"). The same settings go into
 * `vethcap wireshark FILE`'s -o options, the `vethcap` configuration profile
 * (`vethcap extcap --install`), and, in words, the pcapng's section comment.
 * Field names as Wireshark 4.0 has them (`tshark -G fields`).
 */

/** A packet-list column: its title and Wireshark's format (`%Cus:FIELD:OCCURRENCE:R` is a custom one). */
export interface WiresharkColumn {
  title: string;
  format: string;
}

export const VIEW_FIELDS = {
  point: 'frame.interface_name',
  packetId: 'frame.packet_id',
  direction: 'frame.packet_flags_direction',
  comment: 'frame.comment',
} as const;

const custom = (field: string): string => `%Cus:${field}:0:R`;

export const VIEW_COLUMNS: readonly WiresharkColumn[] = [
  { title: 'No.', format: '%m' },
  { title: 'Time', format: '%t' },
  { title: 'Point', format: custom(VIEW_FIELDS.point) },
  { title: 'Id', format: custom(VIEW_FIELDS.packetId) },
  { title: 'Dir', format: custom(VIEW_FIELDS.direction) },
  { title: 'Source', format: '%s' },
  { title: 'Destination', format: '%d' },
  { title: 'Protocol', format: '%p' },
  { title: 'Length', format: '%L' },
  { title: 'Info', format: '%i' },
  { title: 'Hop', format: custom(VIEW_FIELDS.comment) },
];

/** Wireshark preferences, as `name: value` (the form of -o and of a profile's preferences file). */
export const VIEW_PREFERENCES: ReadonlyArray<readonly [string, string]> = [
  ['gui.column.format', VIEW_COLUMNS.map((c) => `"${c.title}", "${c.format}"`).join(', ')],
  ['tcp.analyze_sequence_numbers', 'FALSE'],
];

/** The name of the configuration profile `vethcap extcap --install` writes. */
export const VIEW_PROFILE = 'vethcap';

/** The -o options that give the view, for `wireshark -o … FILE`. */
export function viewOptions(): string[] {
  return VIEW_PREFERENCES.flatMap(([name, value]) => ['-o', `${name}:${value}`]);
}

/** The profile's preferences file. */
export function renderProfilePreferences(version: string): string {
  return `# Wireshark configuration profile "${VIEW_PROFILE}", written by vethcap ${version}:\n# columns for vethcap's capture points, packet ids, directions and hop comments,\n# and TCP sequence analysis off (copies of one packet at several points are not retransmissions).\n${VIEW_PREFERENCES.map(([n, v]) => `${n}: ${v}`).join('\n')}\n`;
}

/** The pcapng's section comment: what the file is, and how to get the view by hand. */
export function renderSectionComment(): string {
  return [
    'Written by vethcap: one interface per capture point; the copies of one packet at the different points share a packet id (frame.packet_id), and each copy\'s comment says its hop.',
    'To see them as columns: vethcap wireshark FILE; or the configuration profile "vethcap" (vethcap extcap --install writes it);',
    `or add custom columns ${VIEW_FIELDS.point}, ${VIEW_FIELDS.packetId}, ${VIEW_FIELDS.direction} and ${VIEW_FIELDS.comment},`,
    'and turn off TCP "Analyze TCP sequence numbers" (tcp.analyze_sequence_numbers: FALSE), which takes the copies for retransmissions.',
  ].join('\n');
}

/** The command line that opens `file` in Wireshark with the view: program, then arguments. */
export function wiresharkCommand(file: string, extra: readonly string[] = []): [string, ...string[]] {
  return ['wireshark', ...viewOptions(), ...extra, '-r', file];
}
