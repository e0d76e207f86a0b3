/**
 * pcapng option lists (pure): a sequence of (code u16, length u16, value padded to 4)
 * ending with opt_endofopt or the end of the block body.
 */
import { u16 } from './bytes.js';

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;

/** Called for each option; `start` is the offset of the value, `len` its unpadded length. */
export type OptionVisitor = (code: number, start: number, len: number) => void;

/**
 * Walks the options in b[start, end). Returns undefined when well formed, or a phrase
 * saying what is wrong and where (relative to `start`) when an option runs past the end.
 */
export function walkOptions(
  b: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  visit: OptionVisitor,
): string | undefined {
  let o = start;
  while (end - o >= 4) {
    const code = u16(b, o, le);
    const len = u16(b, o + 2, le);
    if (code === OPT_ENDOFOPT) return undefined;
    const padded = (len + 3) & ~3;
    if (o + 4 + padded > end) {
      // A value that fits but whose padding does not is tolerated (some writers omit it).
      if (o + 4 + len > end) {
        return `option ${code} at byte ${o - start} of the options says ${len} bytes, only ${end - o - 4} remain`;
      }
    }
    visit(code, o + 4, len);
    o += 4 + padded;
  }
  return undefined;
}
