// Goal: DirIndex.forEachSlot (the allocation-free walk mount and fsck use over every name) visits
// exactly the live entries, in cookie order, with the same ino, type, name and cookie as the
// ordinary iteration — also after removals and after a rebuild that added cookies out of order.
// Method: seeded random adds/removes (names of any bytes, cookies given out of order as a
// rebuild does), then forEachSlot compared with [...index] after each batch.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../tools/crash/prng';
import { DirIndex } from '../../src/core/index/dir-index';

function viaSlots(d: DirIndex): Array<[string, number, number, number]> {
  const out: Array<[string, number, number, number]> = [];
  d.forEachSlot((ino, type, key, cookie) => out.push([Buffer.from(key, 'latin1').toString('hex'), ino, type, cookie]));
  return out;
}

function viaIteration(d: DirIndex): Array<[string, number, number, number]> {
  return [...d].map((e) => [e.name.toString('hex'), e.ino, e.type, e.cookie]);
}

describe('DirIndex.forEachSlot', () => {
  it('equals iteration (cookie order) under seeded adds, removes and an out-of-order rebuild', () => {
    const rng = new Prng(21);
    const d = new DirIndex();
    const live: Buffer[] = [];
    // rebuild order: cookies arrive shuffled
    const cookies = Array.from({ length: 300 }, (_, i) => 3 + i * 2);
    for (let i = cookies.length - 1; i > 0; i--) { const j = rng.below(i + 1); [cookies[i], cookies[j]] = [cookies[j]!, cookies[i]!]; }
    for (const c of cookies) {
      const name = Buffer.from([0xff, c & 0xff, (c >> 8) & 0xff, 0x80]);
      d.add(name, { ino: 1000 + c, type: c % 2 ? 0o100000 : 0o40000, cookie: c });
      live.push(name);
    }
    expect(viaSlots(d)).toEqual(viaIteration(d));
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 30; k++) {
        if (live.length > 0 && rng.chance(0.5)) {
          const i = rng.below(live.length);
          d.remove(live[i]!);
          live.splice(i, 1);
        } else {
          const name = Buffer.from(`n${round}-${k}-${rng.below(1e6)}`);
          if (d.has(name)) continue;
          d.add(name, { ino: 5000 + k, type: 0o100000, cookie: d.takeCookie() });
          live.push(name);
        }
      }
      const slots = viaSlots(d);
      expect(slots).toEqual(viaIteration(d));
      expect(slots.length).toBe(live.length);
      for (let i = 1; i < slots.length; i++) expect(slots[i]![3]).toBeGreaterThan(slots[i - 1]![3]);
    }
  });
});
