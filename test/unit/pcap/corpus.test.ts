/**
 * The reader against ../shared/corpus (capture files from other projects' test
 * suites), with MANIFEST.tsv as the oracle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VethcapError } from '../../../src/errors.js';
import { compareTs, formatEpoch, type Timestamp } from '../../../src/model/time.js';
import { readCaptureFile } from '../../../src/sources/read-capture.js';

import { CORPUS } from '../../helpers/corpus.js';
const MANIFEST = join(CORPUS, 'MANIFEST.tsv');

interface Row {
  file: string;
  verdict: 'read' | 'reject' | 'either';
  packets: number;
  minTs: string;
  maxTs: string;
  oracle: string;
  note: string;
}

/**
 * Rows where we knowingly differ from the oracle, with the reason. Empty means every
 * `read` row matches exactly.
 */
const EXCEPTIONS: Record<string, string> = {};

function loadRows(): Row[] {
  const lines = readFileSync(MANIFEST, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  return lines.map((l) => {
    const [file = '', verdict = '', packets = '', minTs = '', maxTs = '', oracle = '', note = ''] = l.split('\t');
    return { file, verdict: verdict as Row['verdict'], packets: Number(packets || 0), minTs, maxTs, oracle, note };
  });
}

interface Outcome {
  packets: number;
  min: Timestamp | undefined;
  max: Timestamp | undefined;
  error: unknown;
}

async function readFile(path: string): Promise<Outcome> {
  let packets = 0;
  let min: Timestamp | undefined;
  let max: Timestamp | undefined;
  try {
    for await (const batch of readCaptureFile(path)) {
      for (const ev of batch) {
        // The oracle counted frames that have a time: tshark shows none for a Simple
        // Packet Block (it carries no timestamp), so those are left out of the count.
        if (ev.kind !== 'packet' || !ev.hasTimestamp) continue;
        packets++;
        if (min === undefined || compareTs(ev, min) < 0) min = { tsSec: ev.tsSec, tsNsec: ev.tsNsec };
        if (max === undefined || compareTs(ev, max) > 0) max = { tsSec: ev.tsSec, tsNsec: ev.tsNsec };
      }
    }
    return { packets, min, max, error: undefined };
  } catch (error) {
    return { packets, min, max, error };
  }
}

const available = existsSync(MANIFEST);
if (!available && process.env.CI === 'true') throw new Error(`corpus manifest missing: ${MANIFEST}`);

describe.skipIf(!available)('corpus', () => {
  const rows = available ? loadRows() : [];
  const tally = { read: 0, readPass: 0, reject: 0, rejectPass: 0, either: 0, eitherPass: 0, excepted: 0 };

  it.each(rows.map((r) => [r.file, r] as const))('%s', async (_name, row) => {
    const start = Date.now();
    const got = await readFile(join(CORPUS, row.file));
    expect(Date.now() - start, 'bounded time').toBeLessThan(10_000);
    if (got.error !== undefined && !(got.error instanceof VethcapError)) throw got.error;
    tally[row.verdict]++;
    if (row.verdict === 'read') {
      const reason = EXCEPTIONS[row.file];
      const actual = {
        error: got.error instanceof VethcapError ? got.error.message : undefined,
        packets: got.packets,
        min: got.min === undefined ? '' : formatEpoch(got.min),
        max: got.max === undefined ? '' : formatEpoch(got.max),
      };
      const expected = { error: undefined, packets: row.packets, min: row.minTs, max: row.maxTs };
      if (reason !== undefined) {
        tally.excepted++;
        expect(actual, `${row.file} was expected to differ (${reason}); remove it from EXCEPTIONS`).not.toEqual(expected);
        return;
      }
      expect(actual).toEqual(expected);
      tally.readPass++;
    } else if (row.verdict === 'reject') {
      expect(got.error).toBeInstanceOf(VethcapError);
      const e = got.error as VethcapError;
      expect(e.code).toBe('BAD_CAPTURE');
      expect(e.message).toMatch(/^[a-z].{15,}\.?$/);
      tally.rejectPass++;
    } else {
      // Reading or refusing are both fair; anything else (another error) is not.
      const outcome = got.error === undefined ? 'read' : got.error instanceof VethcapError ? got.error.code : 'other';
      expect(['read', 'BAD_CAPTURE']).toContain(outcome);
      tally.eitherPass++;
    }
  });

  it('summary: every row of the manifest was checked and passed', () => {
    console.log(`corpus: ${JSON.stringify(tally)}`);
    const want = (verdict: Row['verdict']) => rows.filter((r) => r.verdict === verdict).length;
    // The corpus is the reader's main outside check: an empty or cut manifest must not pass quietly.
    expect(rows.length).toBeGreaterThanOrEqual(900);
    expect(want('read')).toBeGreaterThan(0);
    expect(want('reject')).toBeGreaterThan(0);
    expect(tally).toEqual({
      read: want('read'),
      readPass: want('read') - Object.keys(EXCEPTIONS).length,
      reject: want('reject'),
      rejectPass: want('reject'),
      either: want('either'),
      eitherPass: want('either'),
      excepted: Object.keys(EXCEPTIONS).length,
    });
  });
});
