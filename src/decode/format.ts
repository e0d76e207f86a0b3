/** Addresses as people read them. Only called when text is needed, never per packet on the hot path. */

/** A 48-bit MAC integer as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: number): string {
  if (mac < 0) return '?';
  const hex = mac.toString(16).padStart(12, '0');
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/** `aa:bb:cc:dd:ee:ff` (any case, `-` or `:`) as a 48-bit integer, or -1 when it is not a MAC. */
export function parseMac(text: string): number {
  const hex = text.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return -1;
  return parseInt(hex, 16);
}

/** True for a group (broadcast or multicast) MAC: the I/G bit of the first octet. */
export function isGroupMac(mac: number): boolean {
  return mac >= 0 && Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** An unsigned 32-bit IPv4 integer as dotted quad. */
export function formatIpv4(ip: number): string {
  if (ip < 0) return '?';
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** The 16 bytes at `offset` as an RFC 5952 IPv6 address (longest zero run compressed). */
export function formatIpv6(data: Uint8Array, offset: number): string {
  if (offset < 0 || offset + 16 > data.length) return '?';
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((data[offset + 2 * i]! << 8) | data[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}
