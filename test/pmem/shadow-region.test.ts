// Goal: ShadowRegion implements DESIGN.md's crash model exactly: unflushed stores are not on
// media, flushed-but-not-drained lines are in flight, drained lines are on media, crash images
// are media plus chosen live lines, and fence hooks see the state before the fence's lines land.
// Method: small regions, stores at line and page boundaries, media inspected via readMedia.
import { describe, expect, it } from 'vitest';
import { ShadowRegion } from '../../src/pmem';

describe('ShadowRegion', () => {
  it('a store is only on media after flush + drain', () => {
    const r = new ShadowRegion(8192);
    r.writeU32(62, 0x11223344); // spans lines 0 and 1
    expect(r.readU32(62)).toBe(0x11223344);
    expect(r.readMedia(62, 4).readUInt32LE(0)).toBe(0);
    expect(r.inFlightLines()).toEqual([0, 1]);
    expect(r.flushedLines()).toEqual([]);
    expect(r.isDurable()).toBe(false);

    r.flush(62, 4);
    expect(r.flushedLines()).toEqual([0, 1]);
    expect(r.readMedia(62, 4).readUInt32LE(0)).toBe(0); // flushed, not yet fenced
    r.drain();
    expect(r.readMedia(62, 4).readUInt32LE(0)).toBe(0x11223344);
    expect(r.inFlightLines()).toEqual([]);
    expect(r.isDurable()).toBe(true);
  });

  it('a flush covers exactly the lines of its range, across a page boundary', () => {
    const r = new ShadowRegion(3 * 4096);
    r.write(4000, Buffer.alloc(200, 9)); // lines 62..65 (crosses the 4096 page boundary)
    r.write(5000, Buffer.alloc(1, 9)); // line 78, not flushed
    r.flush(4000, 200);
    r.drain();
    expect(r.inFlightLines()).toEqual([78]);
    expect(r.readMedia(4000, 200).every((b) => b === 9)).toBe(true);
    expect(r.readMedia(5000, 1)[0]).toBe(0);
  });

  it('only drained lines reach media; a later fence does not carry unflushed stores', () => {
    const r = new ShadowRegion(4096);
    r.writeU8(0, 1);
    r.writeU8(64, 2);
    r.flush(0, 1);
    r.drain();
    expect(r.readMedia(0, 1)[0]).toBe(1);
    expect(r.readMedia(64, 1)[0]).toBe(0);
    r.drain();
    expect(r.readMedia(64, 1)[0]).toBe(0);
  });

  it('persist, copyPersist, commit64 and zero are durable; copyNoDrain is in flight', () => {
    const r = new ShadowRegion(4096);
    r.copyPersist(100, Buffer.from('hello'));
    r.commit64(256, 42n);
    r.writeU32(512, 5);
    r.persist(512, 4);
    r.zero(0, 64);
    expect(r.isDurable()).toBe(true);
    expect(r.fenceCount).toBe(4);
    r.copyNoDrain(1024, Buffer.from('x'));
    expect(r.flushedLines()).toEqual([16]);
    expect(r.inFlightLines()).toEqual([16]);
    expect(r.fenceCount).toBe(4);
  });

  it('crashImage = media + chosen live lines; fromImage mounts it', () => {
    const r = new ShadowRegion(4096);
    r.writeU8(0, 1);
    r.writeU8(64, 2);
    r.writeU8(128, 3);
    const img = r.crashImage([1]);
    expect([img[0], img[64], img[128]]).toEqual([0, 2, 0]);
    const m = ShadowRegion.fromImage(img);
    expect(m.readU8(64)).toBe(2);
    expect(m.isDurable()).toBe(true);
    expect(() => r.crashImage([64])).toThrow(); // no such line
  });

  it('fence hooks run before the fence copies lines, and can be removed', () => {
    const r = new ShadowRegion(4096);
    const seen: { fence: number; inFlight: number[]; media: number }[] = [];
    const off = r.onFence((reg, n) => {
      seen.push({ fence: n, inFlight: reg.inFlightLines(), media: reg.readMedia(0, 1)[0] });
    });
    r.writeU8(0, 7);
    r.persist(0, 1);
    off();
    r.writeU8(64, 7);
    r.persist(64, 1);
    expect(seen).toEqual([{ fence: 1, inFlight: [0], media: 0 }]);
    expect(r.fenceCount).toBe(2);
    expect(r.readMedia(0, 1)[0]).toBe(7);
  });

  it('a region whose size is not a multiple of 64 handles its last partial line', () => {
    const r = new ShadowRegion(100);
    r.writeU8(99, 5);
    expect(r.inFlightLines()).toEqual([1]);
    r.persist(99, 1);
    expect(r.isDurable()).toBe(true);
    expect(r.mediaImage()[99]).toBe(5);
  });
});

describe('ShadowRegion against a line-state oracle', () => {
  // Oracle: media changes only at a fence, and then exactly on the lines flushed since the
  // previous fence (taking their live contents at the fence).
  it('a seeded random mix of stores, flushes and fences keeps media, in-flight lines and crash images exact', () => {
    let seed = 99;
    const rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const size = 3 * 4096 + 100;
    const r = new ShadowRegion(size);
    const live = Buffer.alloc(size);
    const media = Buffer.alloc(size);
    let flushed = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      const op = Math.floor(rand() * 4);
      const off = Math.floor(rand() * (size - 200));
      const len = 1 + Math.floor(rand() * 199);
      if (op <= 1) {
        const b = Buffer.alloc(len, Math.floor(rand() * 256));
        r.write(off, b);
        b.copy(live, off);
      } else if (op === 2) {
        r.flush(off, len);
        for (let l = Math.floor(off / 64); l <= Math.floor((off + len - 1) / 64); l++) flushed.add(l);
      } else {
        r.drain();
        for (const l of flushed) live.copy(media, l * 64, l * 64, Math.min(size, l * 64 + 64));
        flushed = new Set();
      }
      if (step % 50 === 0) {
        expect(r.mediaImage().equals(media)).toBe(true);
        const diff: number[] = [];
        for (let l = 0; l * 64 < size; l++) {
          if (!live.subarray(l * 64, l * 64 + 64).equals(media.subarray(l * 64, l * 64 + 64))) diff.push(l);
        }
        expect(r.inFlightLines()).toEqual(diff);
        expect(r.flushedLines().sort((a, b) => a - b)).toEqual([...flushed].sort((a, b) => a - b));
        const chosen = diff.filter(() => rand() < 0.5);
        const want = Buffer.from(media);
        for (const l of chosen) live.copy(want, l * 64, l * 64, Math.min(size, l * 64 + 64));
        expect(r.crashImage(chosen).equals(want)).toBe(true);
      }
    }
  });
});
