import { describe, expect, it } from 'vitest';
import { renderProfilePreferences, renderSectionComment, viewOptions, VIEW_FIELDS, wiresharkCommand } from '../../../src/render/wireshark-view.js';

describe("Wireshark's view of a vethcap pcapng", () => {
  it('wireshark FILE: the column format with the point, id, direction and hop columns, TCP analysis off, then the file', () => {
    const argv = wiresharkCommand('/tmp/a b.pcapng');
    expect(argv[0]).toBe('wireshark');
    expect(argv.slice(-2)).toEqual(['-r', '/tmp/a b.pcapng']);
    const options = argv.slice(1, -2);
    expect(options.filter((_, i) => i % 2 === 0)).toEqual(['-o', '-o']);
    const prefs = Object.fromEntries(options.filter((_, i) => i % 2 === 1).map((o) => [o.slice(0, o.indexOf(':')), o.slice(o.indexOf(':') + 1)]));
    expect(prefs['tcp.analyze_sequence_numbers']).toBe('FALSE');
    // "Title", "format" pairs.
    const pairs = [...prefs['gui.column.format']!.matchAll(/"([^"]*)", "([^"]*)"/g)].map((m) => [m[1], m[2]]);
    expect(pairs).toEqual(expect.arrayContaining([
      ['Point', '%Cus:frame.interface_name:0:R'],
      ['Id', '%Cus:frame.packet_id:0:R'],
      ['Dir', '%Cus:frame.packet_flags_direction:0:R'],
      ['Hop', '%Cus:frame.comment:0:R'],
      ['Info', '%i'],
    ]));
  });

  it('extra wireshark arguments go before -r FILE', () => {
    expect(wiresharkCommand('f.pcapng', ['-Y', 'icmp']).slice(-4)).toEqual(['-Y', 'icmp', '-r', 'f.pcapng']);
  });

  it('the profile has the same preferences as the -o options', () => {
    const lines = renderProfilePreferences('0.1.0').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(viewOptions().filter((_, i) => i % 2 === 1).map((o) => o.replace(':', ': ')));
  });

  it('the section comment names the fields and the profile', () => {
    const text = renderSectionComment();
    for (const f of Object.values(VIEW_FIELDS)) expect(text).toContain(f);
    expect(text).toContain('vethcap wireshark FILE');
    expect(text).toContain('tcp.analyze_sequence_numbers');
  });
});
