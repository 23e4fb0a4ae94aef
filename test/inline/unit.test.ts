// Goal: the inline small-write path's contracts, one case each: which writes go inline and which
// fold; DRAM holds offsets into the log, never bytes; st_blocks, SEEK_DATA/HOLE, readSegments,
// truncate/punch across inline bytes; the mount option and the INLINE_DATA feature; the replay
// checks of an INLINE_WRITE entry. Method: a strict-mode core on an in-memory region, checked
// before and after a clean remount (DRAM rebuilt from the log); the codec directly for the checks.
import { describe, expect, it } from 'vitest';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, SEEK_DATA, SEEK_HOLE } from '../../src/core/api';
import { INLINE_BYTES_PER_BLOCK, INLINE_PIECES_PER_BLOCK, INLINE_WRITE_MAX } from '../../src/core/inline-data';
import { FileSystem } from '../../src/core/filesystem';
import { decodeEntry, encodeEntry, INLINE_DATA_AT } from '../../src/core/log-codec';
import { ENTRY_HEADER, ET, FEATURE_INCOMPAT_INLINE_DATA } from '../../fs-layout';
import { encodeSuperblock, readSuperblock } from '../../src/core/superblock';
import { MemoryRegion } from '../../src/pmem/memory-region';
import { type InlineFs, infoOf, inlinePieces, K, makeInlineFs, OWNER } from './helpers';

function setup(mount = {}): { h: InlineFs; ino: number } {
  const h = makeInlineFs(8 << 20, mount);
  const ino = h.fs.mknod(1, Buffer.from('f'), 0o100644, 0, OWNER).ino;
  return { h, ino };
}

/** Run `check` now and after a clean remount (DRAM rebuilt by replaying the log). */
function twice(h: InlineFs, check: (fs: FileSystem) => void): void {
  check(h.fs);
  check(h.remount());
}

const fill = (n: number, v: number) => Buffer.alloc(n, v);

describe('which writes go inline', () => {
  it('a 64 B write to an empty file takes no data block; st_blocks counts its block once', () => {
    const { h, ino } = setup();
    const free = h.fs.statfs().blocksFree;
    h.fs.write(ino, 100, fill(64, 7));
    expect(h.fs.statfs().blocksFree).toBe(free);
    twice(h, (fs) => {
      expect(inlinePieces(fs, ino).map((p) => [p.start, p.end])).toEqual([[100, 164]]);
      expect(fs.getattr(ino)).toMatchObject({ size: 164, blocks: 8 });
      expect(fs.read(ino, 0, 200).equals(Buffer.concat([Buffer.alloc(100), fill(64, 7)]))).toBe(true);
    });
  });

  it('DRAM holds offsets into the log, never bytes: each piece points inside an INLINE_WRITE in a log page', () => {
    const { h, ino } = setup();
    for (let i = 0; i < 10; i++) h.fs.write(ino, i * 300, fill(64, i + 1));
    twice(h, (fs) => {
      const n = infoOf(fs, ino);
      for (const p of inlinePieces(fs, ino)) {
        expect(n.logPages).toContain(Math.floor(p.pm / K));
        const entryAt = p.pm - INLINE_DATA_AT;
        expect(h.region.readU16(entryAt + ENTRY_HEADER.off.type)).toBe(ET.INLINE_WRITE);
        expect(h.region.read(p.pm, p.end - p.start).equals(fill(64, p.start / 300 + 1))).toBe(true);
      }
    });
  });

  it(`a write above ${INLINE_WRITE_MAX} B takes the copy-on-write path`, () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(INLINE_WRITE_MAX, 1));
    expect(inlinePieces(h.fs, ino)).toHaveLength(1);
    h.fs.write(ino, K, fill(INLINE_WRITE_MAX + 1, 2));
    expect(inlinePieces(h.fs, ino)).toHaveLength(1);
    twice(h, (fs) => expect(fs.getattr(ino)).toMatchObject({ size: K + INLINE_WRITE_MAX + 1, blocks: 16 }));
  });

  it('a small write across a block boundary is two inline pieces, one per block', () => {
    const { h, ino } = setup();
    h.fs.write(ino, K - 10, fill(30, 3));
    twice(h, (fs) => {
      expect(inlinePieces(fs, ino).map((p) => [p.start, p.end])).toEqual([[K - 10, K], [K, K + 20]]);
      expect(fs.getattr(ino).blocks).toBe(16);
      expect(fs.read(ino, K - 10, 30).equals(fill(30, 3))).toBe(true);
    });
  });

  it(`the write that would give a block ${INLINE_PIECES_PER_BLOCK + 1} pieces folds it into a data block`, () => {
    const { h, ino } = setup();
    const model = Buffer.alloc(K);
    for (let i = 0; i <= INLINE_PIECES_PER_BLOCK; i++) {
      const d = fill(20, i + 1);
      h.fs.write(ino, i * 200, d);
      d.copy(model, i * 200);
      expect(inlinePieces(h.fs, ino)).toHaveLength(i < INLINE_PIECES_PER_BLOCK ? i + 1 : 0);
    }
    twice(h, (fs) => {
      expect(inlinePieces(fs, ino)).toHaveLength(0);
      expect(fs.getattr(ino).blocks).toBe(8);
      expect(fs.read(ino, 0, K).equals(model.subarray(0, fs.getattr(ino).size))).toBe(true);
    });
  });

  it(`a block holding ${INLINE_BYTES_PER_BLOCK} inline bytes folds on its next write`, () => {
    const { h, ino } = setup();
    for (let i = 0; i < INLINE_BYTES_PER_BLOCK / 512; i++) h.fs.write(ino, i * 512, fill(512, i + 1));
    expect(inlinePieces(h.fs, ino)).toHaveLength(INLINE_BYTES_PER_BLOCK / 512);
    h.fs.write(ino, 3000, fill(1, 9));
    expect(inlinePieces(h.fs, ino)).toHaveLength(0);
    twice(h, (fs) => {
      expect(fs.read(ino, 512, 512).equals(fill(512, 2))).toBe(true);
      expect(fs.read(ino, 3000, 1)[0]).toBe(9);
    });
  });

  it('overwriting the same 64 bytes keeps one piece (no fold), the last bytes win', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(K, 1));
    for (let i = 0; i < 300; i++) h.fs.write(ino, 640, fill(64, i & 0xff));
    twice(h, (fs) => {
      expect(inlinePieces(fs, ino)).toHaveLength(1);
      expect(fs.read(ino, 600, 200).equals(Buffer.concat([fill(40, 1), fill(64, 299 & 0xff), fill(96, 1)]))).toBe(true);
    });
  });
});

describe('reads, seeks and size changes across inline bytes', () => {
  it('readSegments: a pm segment per inline piece, zeros around, over the data block elsewhere', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(2 * K, 1));
    h.fs.write(ino, 100, fill(50, 2));
    h.fs.write(ino, 3 * K + 10, fill(5, 3));
    const segs = h.fs.readSegments(ino, 0, 4 * K);
    expect(segs.map((s) => [s.kind, s.length])).toEqual([['pm', 100], ['pm', 50], ['pm', 2 * K - 150], ['zero', K + 10], ['pm', 5]]);
    const bytes = Buffer.concat(segs.map((s) => (s.kind === 'zero' ? Buffer.alloc(s.length) : h.region.read(s.regionOffset, s.length))));
    expect(bytes.equals(h.fs.read(ino, 0, 4 * K))).toBe(true);
  });

  it('SEEK_DATA / SEEK_HOLE see a block holding inline bytes as data', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 5 * K + 7, fill(9, 1));
    h.fs.setattr(ino, { size: 9 * K });
    twice(h, (fs) => {
      expect(fs.lseek(ino, 0, SEEK_DATA)).toBe(5 * K);
      expect(fs.lseek(ino, 0, SEEK_HOLE)).toBe(0);
      expect(fs.lseek(ino, 5 * K + 100, SEEK_HOLE)).toBe(6 * K);
      expect(fs.lseek(ino, 5 * K + 100, SEEK_DATA)).toBe(5 * K + 100);
      expect(() => fs.lseek(ino, 6 * K, SEEK_DATA)).toThrow(expect.objectContaining({ code: 'ENXIO' }));
    });
  });

  it('a truncate below inline bytes drops them: growing again reads zeros there', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 2 * K + 100, fill(64, 5)); // an overlay-only block
    h.fs.write(ino, 10, fill(10, 6));
    h.fs.setattr(ino, { size: 50 });
    expect(h.fs.getattr(ino).blocks).toBe(8);
    h.fs.setattr(ino, { size: 3 * K });
    twice(h, (fs) => {
      expect(fs.getattr(ino)).toMatchObject({ size: 3 * K, blocks: 8 });
      expect(inlinePieces(fs, ino).map((p) => [p.start, p.end])).toEqual([[10, 20]]);
      expect(fs.read(ino, 0, 3 * K).equals(Buffer.concat([Buffer.alloc(10), fill(10, 6), Buffer.alloc(3 * K - 20)]))).toBe(true);
    });
  });

  it('a truncate into inline bytes folds their block: the bytes past EOF are gone', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 100, fill(200, 7));
    h.fs.setattr(ino, { size: 150 });
    expect(inlinePieces(h.fs, ino)).toHaveLength(0);
    h.fs.setattr(ino, { size: 400 });
    twice(h, (fs) => {
      expect(fs.getattr(ino).blocks).toBe(8);
      expect(fs.read(ino, 0, 400).equals(Buffer.concat([Buffer.alloc(100), fill(50, 7), Buffer.alloc(250)]))).toBe(true);
    });
  });

  it('a punch over part of the inline bytes zeroes just that part', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(300, 8));
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 50);
    twice(h, (fs) => {
      expect(fs.read(ino, 0, 300).equals(Buffer.concat([fill(100, 8), Buffer.alloc(50), fill(150, 8)]))).toBe(true);
      expect(fs.getattr(ino)).toMatchObject({ size: 300, blocks: 8 });
    });
  });

  it('a punch of whole blocks drops their inline bytes and their st_blocks', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(10, 1));
    h.fs.write(ino, K + 10, fill(10, 2));
    h.fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, K, K);
    twice(h, (fs) => {
      expect(inlinePieces(fs, ino).map((p) => [p.start, p.end])).toEqual([[0, 10]]);
      expect(fs.getattr(ino)).toMatchObject({ size: K + 20, blocks: 8 });
      expect(fs.read(ino, K, 20).equals(Buffer.alloc(20))).toBe(true);
    });
  });
});

describe('switches', () => {
  it('MountOptions.inline: false writes every small write by copy-on-write; inline bytes already written still read', () => {
    const { h, ino } = setup();
    h.fs.write(ino, 0, fill(64, 1));
    h.fs.unmount();
    const fs = FileSystem.mount(h.region, { ...h.opts, inline: false });
    fs.write(ino, 200, fill(64, 2));
    expect(inlinePieces(fs, ino).map((p) => [p.start, p.end])).toEqual([]); // the fold took the first piece too
    expect(fs.read(ino, 0, 264).equals(Buffer.concat([fill(64, 1), Buffer.alloc(136), fill(64, 2)]))).toBe(true);
  });

  it('an image without the INLINE_DATA feature gets no INLINE_WRITE entries', () => {
    const region = new MemoryRegion(8 << 20);
    const h = makeInlineFs(region.sizeBytes, {}, region);
    h.fs.unmount();
    // clear the feature in both superblock copies (the encoder recomputes the checksums)
    const sb = readSuperblock(region).sb;
    expect(sb.featureIncompat & FEATURE_INCOMPAT_INLINE_DATA).toBe(FEATURE_INCOMPAT_INLINE_DATA);
    const old = { ...sb, featureIncompat: 0 };
    region.write(0, encodeSuperblock(old, 0));
    region.write(sb.replicaBlock * K, encodeSuperblock(old, 1));
    const fs = FileSystem.mount(region, h.opts);
    const ino = fs.mknod(1, Buffer.from('g'), 0o100644, 0, OWNER).ino;
    const free = fs.statfs().blocksFree;
    fs.write(ino, 0, fill(64, 1));
    expect(inlinePieces(fs, ino)).toEqual([]);
    expect(fs.statfs().blocksFree).toBe(free - 1);
  });
});

describe('replay checks of INLINE_WRITE', () => {
  const owner = { ino: 5, gen: 1 };
  const entry = (fileOffset: number, len: number, newSize: number) =>
    encodeEntry(owner, { type: ET.INLINE_WRITE, fileOffset, newSize, mtimeNs: 1n, data: fill(len, 1) });
  it('a good entry decodes to a view of its bytes at INLINE_DATA_AT', () => {
    const b = entry(4100, 64, 5000);
    const e = decodeEntry(b, owner);
    expect(typeof e).not.toBe('string');
    if (typeof e === 'string' || e.type !== ET.INLINE_WRITE) throw new Error('decode');
    expect(e.data.buffer).toBe(b.buffer);
    expect(e.data.byteOffset - b.byteOffset).toBe(INLINE_DATA_AT);
  });
  it.each([
    ['crosses a block boundary', 4090, 64, 5000, /crosses a block boundary/],
    ['lies past the new size', 0, 64, 10, /past the new size/],
    ['is longer than 2048 bytes', 0, 2049, 4096, /bad inline data length/],
  ])('an entry that %s is refused', (_w, off, len, size, re) => {
    expect(decodeEntry(entry(off as number, len as number, size as number), owner)).toMatch(re as RegExp);
  });
});
