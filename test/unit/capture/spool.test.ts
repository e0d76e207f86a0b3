import { fstatSync, readdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SpoolFile, SpoolReader, spoolSpaceWarning } from '../../../src/capture/spool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('spool file', () => {
  it('has no name: nothing in the temporary directory, even while open', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('vethcap-spool-'));
    const spool = SpoolFile.create();
    try {
      expect(readdirSync(tmpdir()).filter((n) => n.startsWith('vethcap-spool-'))).toEqual(before);
      expect(fstatSync(spool.fd).nlink).toBe(0);
    } finally {
      spool.close();
    }
  });

  it('says where it could not be created, and what to do', () => {
    expect(() => SpoolFile.create('/nonexistent/dir')).toThrow('cannot create a spool file in /nonexistent/dir: no such directory.');
  });

  it('hands over every byte in order while the writer appends, and ends after the writer is done', async () => {
    const spool = SpoolFile.create();
    const got: Buffer[] = [];
    const reader = new SpoolReader(spool, (c) => got.push(Buffer.from(c)), { chunkBytes: 1000, pollMs: 5 });
    const written: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const piece = Buffer.alloc(777 + i, i);
      writeSync(spool.fd, piece, 0, piece.length, null);
      written.push(piece);
      if (i % 10 === 0) await sleep(10);
    }
    let ended = false;
    void reader.ended.then(() => (ended = true));
    await sleep(30);
    expect(ended).toBe(false); // the writer may still write
    const last = Buffer.from('the end');
    writeSync(spool.fd, last, 0, last.length, null);
    written.push(last);
    reader.writerDone();
    await reader.ended;
    expect(Buffer.concat(got).equals(Buffer.concat(written))).toBe(true);
    expect(reader.bytesRead).toBe(Buffer.concat(written).length);
    spool.close();
  });

  it('gives the space already read back to the file system', async () => {
    const spool = SpoolFile.create();
    let read = 0;
    const reader = new SpoolReader(spool, (c) => (read += c.length), { chunkBytes: 1 << 20, pollMs: 5, releaseEveryBytes: 1 << 20 });
    const block = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 8; i++) writeSync(spool.fd, block, 0, block.length, null);
    reader.writerDone();
    await reader.ended;
    expect(read).toBe(8 << 20);
    // Holes punched up to what was read (best effort, by fallocate): far less than 8 MiB held.
    expect(fstatSync(spool.fd).blocks * 512).toBeLessThan(4 << 20);
    expect(fstatSync(spool.fd).size).toBe(8 << 20);
    spool.close();
  });
});

describe('spool space', () => {
  it('warns below 256 MiB free, with the directory and what to do', () => {
    expect(spoolSpaceWarning('/tmp', 300 * 1024 * 1024)).toBeUndefined();
    expect(spoolSpaceWarning('/tmp', 100 * 1024 * 1024)).toBe(
      'only 100 MiB free in /tmp for the spool: capture vethcap falls behind on may be lost if it fills; set VETHCAP_SPOOL_DIR to a directory with more room.',
    );
  });
});
