/**
 * The HTML report's data (issue 16): bounded whatever the run's length, honest about what
 * it left out, and embedded so that no path's text can end its script block.
 */
import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import { MAX_COMPLETE_PATHS, ReportCollector } from '../../../src/report/collector.js';
import { jsonForScript, renderReportHtml } from '../../../src/report/report-html.js';
import { SummaryCollector } from '../../../src/render/run-summary.js';
import { icmpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { ROUTED, twoBridges } from '../../helpers/topology.js';

/** `n` box → web requests through the routed two-bridge topology; those in `lost` stop at box's bridge. */
function paths(n: number, lost: ReadonlySet<number>): PacketPath[] {
  const out: PacketPath[] = [];
  const s = new CorrelationSession(twoBridges(), (p) => out.push(p), { windowNs: 1_000_000 });
  for (let i = 1; i <= n; i++) {
    const ip = { src: ROUTED.box, dst: ROUTED.web, ipId: i & 0xffff, id: 9, seq: i };
    const before = icmpFrame({ ...ip, srcMac: ROUTED.boxMac, dstMac: ROUTED.gw0Mac, ttl: 64 });
    const after = icmpFrame({ ...ip, srcMac: ROUTED.gw1Mac, dstMac: ROUTED.webMac, ttl: 63 });
    const at = i * 10_000_000;
    for (const [p, dt] of [[0, 0], [1, 4_000], [2, 4_000]] as const) s.push(p, rec(p, at + dt, before));
    if (!lost.has(i)) for (const [p, dt] of [[3, 30_000], [4, 32_000], [5, 34_000]] as const) s.push(p, rec(p, at + dt, after));
  }
  s.finish();
  return out;
}

describe('ReportCollector', () => {
  const all = paths(2_500, new Set([7, 1_500, 2_400]));
  const collect = () => {
    const c = new ReportCollector(twoBridges());
    const summary = new SummaryCollector(twoBridges());
    for (const p of all) {
      c.add(p);
      summary.add(p);
    }
    return c.result({ kind: 'merge', commandLine: 'vethcap merge a b', startedAt: new Date(0), vethcapVersion: 'test', summary: summary.result() });
  };

  it('keeps every lost path and a bounded sample of complete ones, and counts both', () => {
    const data = collect();
    expect(data.counts).toMatchObject({ paths: 2_500, complete: 2_497, lost: 3 });
    expect(data.kept).toEqual({ complete: MAX_COMPLETE_PATHS, completeTotal: 2_497, other: 3, otherTotal: 3 });
    expect(data.paths).toHaveLength(MAX_COMPLETE_PATHS + 3);
    expect(data.paths.filter((p) => p.verdict === 'lost').map((p) => p.id)).toEqual([7, 1_500, 2_400]);
    // In id order, each once.
    expect(data.paths.map((p) => p.id)).toEqual([...new Set(data.paths.map((p) => p.id))].sort((a, b) => a - b));
  });

  it('keeps a path compact: copies as point index, offset, hop, delta; findings as data', () => {
    const lost = collect().paths.find((p) => p.id === 7)!;
    expect(lost.copies.map((c) => c[0])).toEqual([0, 1, 2]);
    expect(lost.copies[0]).toEqual([0, 0, 1, null, null]);
    expect(lost.copies[1]).toEqual([1, 4_000, 2, 4_000, null]);
    expect(lost.findings).toEqual([{ code: 'PATH_LOST', after: 'host:vethA', before: 'host:vethB', branch: null, where: 'host-routing' }]);
  });

  it('histograms each hop pair of complete paths in powers of two of nanoseconds', () => {
    const hop = collect().hops.find((h) => h.from === 'host:vethA' && h.to === 'host:vethB')!;
    expect(hop.count).toBe(2_497);
    // 28 µs: bin 14 ([16384, 32768) ns).
    expect(hop.bins).toHaveLength(15);
    expect(hop.bins[14]).toBe(2_497);
    expect(hop.p50Ns).toBe(28_000);
  });

  it('embeds its data so that nothing in it ends the script block, and the page asks for nothing', () => {
    expect(jsonForScript({ s: '</script><script>alert(1)</script> & <!--' })).not.toMatch(/<|>|&/);
    expect(JSON.parse(jsonForScript({ s: '</script> \u2028' }))).toEqual({ s: '</script> \u2028' });
    const html = renderReportHtml(collect());
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toMatch(/<link|\ssrc=|\shref=|@import/i);
    expect(html).toContain("default-src 'none'");
  });
});
