import type { MissingCopy, PathFinding } from '../model/findings.js';

/**
 * A finding in words, as the timeline and the pcapng packet comments say it, e.g.
 * `lost between host:vethA and host:vethB`, `not captured at web:eth0 (its capture
 * dropped 12 packets then)`, `NAT src 198.18.0.2:40000 → 198.19.0.1:61000 between
 * host:docker0 and host:eth1`. Words only: what a program needs is in the finding's fields.
 */
export function findingText(f: PathFinding): string {
  switch (f.code) {
    case 'PATH_LOST':
      return `lost between ${f.after} and ${f.before}${f.where === 'host-routing' ? " (in the host's routing step)" : ''}`;
    case 'NOT_CAPTURED':
      return `not captured at ${missingText(f)}`;
    case 'UNDETERMINED':
      return f.missing.length === 0 ? 'undetermined' : `undetermined: no copy at ${f.missing.map(missingText).join(', ')}`;
    case 'AFTER_STOP':
      return 'after the stop: no verdict';
    case 'FLOODED':
      return `flooded to ${f.ports.length} bridge ports: ${f.ports.join(', ')}`;
    case 'NAT_REWRITE':
      return `NAT ${f.side} ${f.from} → ${f.to} between ${f.after} and ${f.before}`;
    case 'TTL_CHANGE':
      return `TTL ${f.from} → ${f.to} between ${f.after} and ${f.before}`;
    case 'MAC_REWRITE': {
      const parts: string[] = [];
      if (f.src !== null) parts.push(`src ${f.src.from} → ${f.src.to}`);
      if (f.dst !== null) parts.push(`dst ${f.dst.from} → ${f.dst.to}`);
      return `MAC ${parts.join(', ')} between ${f.after} and ${f.before} (routed)`;
    }
  }
}

/** `web:eth0 (its capture had ended)`. */
function missingText(m: MissingCopy): string {
  return `${m.point} (${reasonText(m)})`;
}

function reasonText(m: MissingCopy): string {
  switch (m.reason) {
    case 'kernel-drops':
      return m.droppedByKernel === null ? 'its capture dropped packets then' : `its capture dropped ${m.droppedByKernel} packets then`;
    case 'point-ended':
      return 'its capture had ended';
    case 'not-read':
      return 'its capture was not read that far';
    case 'ambiguous':
      return 'identical packets, order cannot tell which';
    case 'gap':
      return 'capture gap';
  }
}
