import { VethcapError } from '../errors.js';

/**
 * Bytes kept per packet at the headers-only points (`trace --headers-only`): enough for the
 * correlator's fingerprint (docs/correlation.md: the headers' invariants and the first 32
 * bytes of the transport payload) of the deepest frame the decoder reads:
 *
 *   14 Ethernet + 4 VLAN tag + 40 IPv6 + 16 two extension headers (hop-by-hop, fragment)
 *   + 60 TCP with the most options + 32 payload = 166,
 *
 * rounded up to 192: 26 bytes to spare for another extension header (a routing header).
 * A double-tagged frame (QinQ) is read as far as its outer tag and fingerprinted on the 32
 * bytes after it (to byte 50), well inside. Ethernet, IPv4 and TCP with timestamps (66 bytes
 * of headers, an iperf3 or HTTP bulk segment) keep 126 bytes of payload.
 * A copy cut shorter than that span would fingerprint differently from the full copy and
 * not join its path, which is why the user cannot pick a smaller one here: `-s` sets the
 * full point's length, and a `-s` below this one applies everywhere.
 */
export const HEADERS_SNAPLEN = 192;

/**
 * Kernel capture buffer of the point that keeps whole packets (KiB), unless -B says otherwise.
 * It alone writes every byte, and 8 MiB (the default) holds about 128 GSO frames of 64 KiB,
 * a few milliseconds of iperf3: bench/bulk.js, 5 interleaved pairs at load 5, iperf3 at about
 * 5 Gbit/s, dropped at the full point in 5 of 5 runs with 8 MiB (median 2.4 % of its copies)
 * and in 1 of 5 with 64 MiB (median 0). The cut points keep the default: 8 MiB holds
 * 40,000 of their copies, and they dropped none.
 */
export const FULL_POINT_BUFFER_KIB = 64 * 1024;

/**
 * Headers-only capture: whole packets at one point (`fullAt`, a label; the first planned
 * point when not given, i.e. the first target's namespace end), the first HEADERS_SNAPLEN
 * bytes at the others; the full point gets a kernel buffer of FULL_POINT_BUFFER_KIB (a -B
 * given by the user still sets every point's). Pure; returns new point objects.
 */
export function applyHeadersOnly<P extends { label: string; snaplen?: number; bufferSizeKiB?: number }>(points: readonly P[], fullAt: string | undefined): P[] {
  const full = fullAt ?? points[0]?.label;
  if (full === undefined || !points.some((p) => p.label === full)) {
    throw new VethcapError('USAGE', `--full-at ${fullAt ?? ''}: no such capture point; the points are ${points.map((p) => p.label).join(', ')}.`, {
      hint: '--full-at takes a point label as the trace prints it, e.g. --full-at box:eth0 or --full-at host:br0.',
    });
  }
  return points.map((p) => {
    if (p.label === full) return { ...p, bufferSizeKiB: p.bufferSizeKiB ?? FULL_POINT_BUFFER_KIB };
    const snaplen = Math.min(p.snaplen ?? 262144, HEADERS_SNAPLEN);
    return { ...p, snaplen };
  });
}
