/**
 * Proves `describeOffset` (tools/crash/describe-offset.ts) names the structure behind region
 * offsets of a freshly formatted image: both superblocks (header field, state slot), the journal,
 * the inode table (header and an inode's commit word, with its ino), the root's log page (entries
 * and tail), and an allocatable block as data; and that `isDataOffset` tells data from metadata.
 * Method: formatRegion on a 1 MiB MemoryRegion, then describe offsets computed from fs-layout.
 */
import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE, FS_DATA_START_BLOCK, FS_INODE_TABLE_BLOCK, FS_JOURNAL_BLOCK, FS_ROOT_LOG_BLOCK, INODE,
  INODE_SIZE, ITB_HEADER_SIZE, LOG_PAGE_DATA_BYTES, LOG_PAGE_TAIL, SB, SB_STATE_SLOT_OFFSETS,
} from '../../fs-layout';
import { formatRegion } from '../../src/core/format';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { describeLine, describeOffset, isDataOffset } from '../../tools/crash/describe-offset';

describe('describeOffset on a formatted image', () => {
  const region = new MemoryRegion(1 << 20);
  formatRegion(region, {});
  const last = (1 << 20) / BLOCK_SIZE - 1;

  it('names superblock fields and state slots, primary and replica', () => {
    expect(describeOffset(region, SB.off.journalBlock)).toBe('primary superblock static header, field journalBlock');
    expect(describeOffset(region, SB_STATE_SLOT_OFFSETS[1] + 8)).toMatch(/^primary superblock state record slot 1, field seq/);
    expect(describeOffset(region, last * BLOCK_SIZE + SB.off.uuid)).toMatch(/^replica superblock static header, field uuid/);
  });

  it('names the journal, an inode commit word with its ino, and the root log page', () => {
    expect(describeOffset(region, FS_JOURNAL_BLOCK * BLOCK_SIZE)).toMatch(/^journal header, field state/);
    const root = FS_INODE_TABLE_BLOCK * BLOCK_SIZE + ITB_HEADER_SIZE; // slot 0 = ino 1
    expect(describeOffset(region, root + INODE.off.logTail)).toMatch(/inode-table block 0 .* inode slot 0 = ino 1, field logTail/);
    expect(describeOffset(region, root + 3 * INODE_SIZE)).toMatch(/inode slot 3 = ino 4, field state/);
    const page = FS_ROOT_LOG_BLOCK * BLOCK_SIZE;
    expect(describeOffset(region, page + 64)).toMatch(/^log page 0 of ino 1 .* entries/);
    expect(describeOffset(region, page + LOG_PAGE_DATA_BYTES + LOG_PAGE_TAIL.off.nextPage)).toMatch(/tail, field nextPage/);
  });

  it('calls an allocatable block without metadata magic data, and metadata not data', () => {
    const data = (FS_DATA_START_BLOCK + 3) * BLOCK_SIZE;
    expect(describeOffset(region, data + 100)).toMatch(/^data block \d+/);
    expect(isDataOffset(region, data)).toBe(true);
    expect(isDataOffset(region, FS_ROOT_LOG_BLOCK * BLOCK_SIZE)).toBe(false);
    expect(isDataOffset(region, 0)).toBe(false);
    expect(isDataOffset(region, last * BLOCK_SIZE)).toBe(false);
  });
});

describe('describeLine', () => {
  it('names the first and last field a 64-byte line covers', () => {
    const region = new MemoryRegion(1 << 20);
    formatRegion(region, {});
    const root = FS_INODE_TABLE_BLOCK * BLOCK_SIZE + ITB_HEADER_SIZE;
    expect(describeLine(region, root)).toMatch(/inode slot 0 = ino 1, field state \.\. createTimeNs$/);
  });
});

describe('describeLine on data', () => {
  it('gives a byte range inside one data block', () => {
    const region = new MemoryRegion(1 << 20);
    formatRegion(region, {});
    expect(describeLine(region, (FS_DATA_START_BLOCK + 2) * BLOCK_SIZE + 128)).toMatch(/^data block \d+ .*, bytes 128\.\.191$/);
  });
});
