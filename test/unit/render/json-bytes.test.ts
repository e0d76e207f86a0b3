import { describe, expect, it } from 'vitest';
import type { PacketPath, PathCopy } from '../../../src/correlate/path.js';
import { encodePathJsonLine, renderPathJson } from '../../../src/render/ndjson.js';

/** A path with every key NDJSON reads, plain (no loss, rewrite or tree) unless `extra` says otherwise. */
function path(extra: Record<string, unknown> = {}, copyExtra: Record<string, unknown> = {}): PacketPath {
  const copy = (hop: number, label: string, role: string, direction: 0 | 1 | 2, tsSec: number, tsNsec: number, deltaNs: number | null, observedAfterNs: number | null = null): PathCopy =>
    ({ hop, label, role, direction, ts: { tsSec, tsNsec }, deltaNs, observedAfterNs, branch: null, ...copyExtra }) as unknown as PathCopy;
  return {
    id: 12, summary: 'UDP 198.18.0.2:1024 → 198.18.0.3:53 len=18', protocol: 'UDP', length: 60, complete: true,
    copies: [
      copy(1, 'box:eth0', 'namespace-end', 2, 1_764_333_971, 5, null),
      copy(2, 'host:vëthA', 'host-veth', 1, 1_764_333_971, 4_305, 4_300),
      copy(0, 'host:docker0', 'bridge', 0, 1_764_333_971, 4_305, null, 0),
      copy(3, 'web:eth0', 'namespace-end', 1, 1_764_333_972, 0, 999_995_695),
    ],
    lost: null, losses: [], notSeen: [], flooded: [], nat: [], ttl: [], macRewrites: [], verdict: 'complete',
    notCaptured: [], ambiguousAt: [], branches: [], ...extra,
  } as unknown as PacketPath;
}

function encoded(p: PacketPath, room = 16_384, at = 3): string | null {
  const out = new Uint8Array(at + room + 64).fill(0x7e);
  const n = encodePathJsonLine(p, out, at, room);
  if (n < 0) return null;
  // Nothing written outside its bytes.
  expect(out[at - 1]).toBe(0x7e);
  expect(out[at + n]).toBe(0x7e);
  return new TextDecoder().decode(out.subarray(at, at + n));
}

describe('encodePathJsonLine', () => {
  it('writes exactly renderPathJson and a newline', () => {
    const cases = [
      path(),
      path({ verdict: null, complete: null }),
      path({ complete: false, verdict: 'lost-somewhere' }),
      path({ id: 9_007_199_254_740_991, length: 0, summary: 'ARP who-has 198.18.0.3 tell 198.18.0.2 ✓ 𝄞'.replace('𝄞', '') }),
      path({ copies: [] }),
      path({}, { deltaNs: -7 }),
      path({ summary: 'ü é ☃ U+2028: \u2028 and DEL \u007f' }),
    ];
    for (const p of cases) expect(encoded(p)).toBe(renderPathJson(p) + '\n');
  });

  it('declines what it does not write (the caller renders the text)', () => {
    const loss = { after: 'a', before: 'b' };
    for (const p of [
      path({ lost: loss, losses: [loss] }),
      path({ flooded: ['x'] }),
      path({ nat: [{}] }),
      path({ ttl: [{}] }),
      path({ macRewrites: [{}] }),
      path({ notCaptured: [{}] }),
      path({ ambiguousAt: ['x'] }),
      path({ notSeen: ['x'] }),
      path({ branches: [{}] }),
      path({ verdict: 'undetermined' }),
      path({ verdict: 'after-stop' }),
      path({ summary: 'a "quoted" name' }),
      path({ summary: 'back\\slash' }),
      path({ summary: 'tab\there' }),
      path({ summary: 'lone \ud800 surrogate' }),
      path({ id: 1.5 }),
      path({}, { branch: 'host:vethB' }),
      path({}, { deltaNs: 0.5 }),
    ]) {
      expect(encoded(p)).toBeNull();
    }
    // Too little room.
    expect(encoded(path(), 100)).toBeNull();
  });
});
