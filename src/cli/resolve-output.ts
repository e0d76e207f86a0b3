import type { ResolvedInterface, ResolvedTarget, ResolveResult } from '../resolve/types.js';

/** The human-readable form of `vethcap resolve` (pure). */
export function renderResolveTable(result: ResolveResult): string {
  return result.targets.map(renderTarget).join('\n');
}

function renderTarget(t: ResolvedTarget): string {
  const facts = [
    kindFact(t),
    t.pid !== null ? `pid ${t.pid}` : null,
    `netns ${t.netns.path} (inode ${t.netns.inode})`,
    t.networkMode ? `network ${t.networkMode}` : null,
  ].filter(Boolean);
  const lines = [`${t.name}  ${facts.join(', ')}`];
  if (t.sharedWith) lines.push(`  shares the network namespace of ${t.sharedWith} (--network container:${t.sharedWith})`);
  if (t.interfaces.length === 0) lines.push('  no interfaces besides lo');
  for (const iface of t.interfaces) lines.push(...renderInterface(t.name, iface));
  return lines.join('\n') + '\n';
}

function kindFact(t: ResolvedTarget): string {
  switch (t.kind) {
    case 'docker':
      return t.id ? `container ${t.id.slice(0, 12)}` : 'process';
    case 'podman':
      return `podman container ${t.id ? t.id.slice(0, 12) : '?'}`;
    case 'containerd':
      return `containerd task ${t.id ?? t.name}`;
    case 'pod':
      return `pod, containerd task ${t.id ? t.id.slice(0, 12) : '?'} in k8s.io`;
    case 'netns':
      return 'named namespace';
    case 'pid':
      return 'process';
  }
}

function renderInterface(owner: string, i: ResolvedInterface): string[] {
  const head = [`  ${owner}:${i.name}`, i.kind, i.mac ?? '-', i.addresses.join(' ') || '-', `mtu ${i.mtu}`, i.state].join('  ');
  const lines = [head];
  if (i.peer) {
    const where = i.peer.netns === 'host' ? 'host' : i.peer.netns === 'same' ? owner : i.peer.netns;
    lines.push(`    peer    ${where}:${i.peer.name}  ifindex ${i.peer.ifindex}  ${i.peer.state}`);
  }
  if (i.bridge) {
    lines.push(`    bridge  ${i.bridge.name}  port ${i.bridge.portState ?? 'state unknown'}`);
    const width = Math.max(...i.bridge.ports.map((p) => p.name.length));
    const ownerWidth = Math.max(...i.bridge.ports.map((p) => (p.owner ?? '?').length));
    i.bridge.ports.forEach((p, n) => {
      const label = n === 0 ? '    ports   ' : '            ';
      const mine = i.peer && p.name === i.peer.name ? '  (this one)' : '';
      lines.push(`${label}${p.name.padEnd(width)}  ⇄ ${(p.owner ?? '?').padEnd(ownerWidth)}  ${p.state ?? ''}${mine}`.trimEnd());
    });
  }
  if (i.note) lines.push(`    note    ${i.note}`);
  return lines;
}
