import { describe, expect, it } from 'vitest';
import { interfaceName, NEEDS_ROOT_INTERFACE, renderConfig, renderDlts, renderInterfaces, renderNeedsRoot, splitList, targetOfInterface } from '../../../src/extcap/protocol.js';
import { VETHCAP_VERSION } from '../../../src/version.js';

/** One extcap sentence read back: its kind and its {key=value} fields. */
function parseSentence(line: string): { kind: string; fields: Record<string, string> } {
  const m = /^(\w+) ((?:\{[^{}]*\})+)$/.exec(line);
  if (!m) throw new Error(`not an extcap sentence: ${line}`);
  const fields: Record<string, string> = {};
  for (const f of m[2]!.matchAll(/\{([\w-]+)=([^{}]*)\}/g)) fields[f[1]!] = f[2]!;
  return { kind: m[1]!, fields };
}
const sentences = (text: string) => text.trimEnd().split('\n').map(parseSentence);

describe('extcap protocol sentences', () => {
  it('--extcap-interfaces: the version, then one interface per target, named vethcap:SPEC', () => {
    const out = sentences(renderInterfaces([
      { spec: 'web', runtime: 'docker', description: 'Docker container web (198.18.0.3)' },
      { spec: 'pod:shop/db-0', runtime: 'pod', description: 'Kubernetes pod shop/db-0' },
      { spec: 'netns:lab{1}', runtime: 'netns', description: 'network namespace lab{1}' },
    ]));
    expect(out[0]).toEqual({ kind: 'extcap', fields: { version: VETHCAP_VERSION } });
    expect(out.slice(1).map((s) => s.kind)).toEqual(['interface', 'interface', 'interface']);
    expect(out.slice(1).map((s) => s.fields.value)).toEqual(['vethcap:web', 'vethcap:pod:shop/db-0', 'vethcap:netns:lab 1 ']);
    expect(out[1]!.fields.display).toBe('vethcap: Docker container web (198.18.0.3)');
  });

  it('not root: one interface, vethcap:needs-root, that says how', () => {
    const out = sentences(renderNeedsRoot('Allow it once with: sudo /opt/vethcap/bin/vethcap extcap --install --sudoers; then restart Wireshark.'));
    expect(out).toHaveLength(2);
    expect(out[1]!.fields.value).toBe(NEEDS_ROOT_INTERFACE);
    expect(out[1]!.fields.display).toContain('extcap --install --sudoers');
  });

  it('--extcap-dlts and --extcap-config', () => {
    expect(sentences(renderDlts())).toEqual([{ kind: 'dlt', fields: expect.objectContaining({ number: '1', name: 'EN10MB' }) }]);
    const args = sentences(renderConfig());
    expect(args.map((a) => [a.kind, a.fields.number, a.fields.call, a.fields.type])).toEqual([
      ['arg', '0', '--other', 'string'],
      ['arg', '1', '--skip', 'string'],
      ['arg', '2', '--snaplen', 'integer'],
    ]);
    expect(args[2]!.fields).toMatchObject({ range: '1,262144', default: '262144' });
  });

  it('interface names back to targets; not ours, or the explaining entry, is none', () => {
    for (const spec of ['web', 'netns:lab1', 'pod:shop/db-0', 'containerd:default/web']) expect(targetOfInterface(interfaceName(spec))).toBe(spec);
    expect(targetOfInterface(NEEDS_ROOT_INTERFACE)).toBeUndefined();
    expect(targetOfInterface('eth0')).toBeUndefined();
    expect(targetOfInterface('vethcap:')).toBeUndefined();
  });

  it('the dialog\'s lists: words separated by spaces or commas', () => {
    expect(splitList(' web, netns:lab1  pod:a/b ')).toEqual(['web', 'netns:lab1', 'pod:a/b']);
    expect(splitList(['a b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(splitList(undefined)).toEqual([]);
  });
});
