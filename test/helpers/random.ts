/** A small seeded generator, so a failing generated case can be made again from its seed. */
export type Rand = () => number;

/** mulberry32: uniform in [0, 1), the same sequence for the same seed (bench/random-stop.js has its own copy: it runs on dist/ as plain JavaScript). */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
