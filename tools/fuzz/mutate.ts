/**
 * Mutations of a base image for the corrupted-image fuzzer, drawn from a seeded PRNG and biased
 * toward metadata (the MetaMap): random bytes and bit flips, an unprotected commit word set to an
 * interesting value, a field of a checksummed structure changed and the checksum re-sealed (so
 * the code behind the checksum test runs on nonsense), zeroed ranges, one metadata block copied
 * over another (valid structure, wrong place), a truncated image, and combinations. Every
 * mutation returns a one-line description, printed with a finding.
 *
 * Layer: tools/fuzz. Pure (Buffer in, Buffer out); deterministic for a PRNG state.
 */
import { BLOCK_SIZE, bttInfoChecksum } from '../../fs-layout';
import { crc32c } from '../../src/pmem/crc32c';
import { Prng } from '../crash/prng';
import type { MetaMap } from './meta-map';

export interface Mutated { image: Buffer; description: string }

const KINDS: Array<[name: string, weight: number]> = [
  ['bytes', 18], ['bits', 14], ['word', 15], ['sealed', 28], ['zero', 8], ['copy', 7], ['truncate', 4], ['multi', 6],
];

export function mutate(base: Buffer, map: MetaMap, rng: Prng): Mutated {
  const img = Buffer.from(base);
  const kind = pickWeighted(rng);
  if (kind === 'truncate') return truncate(img, rng);
  if (kind === 'multi') {
    const parts: string[] = [];
    for (let n = 2 + rng.below(3); n > 0; n--) {
      let k = pickWeighted(rng);
      while (k === 'truncate' || k === 'multi') k = pickWeighted(rng);
      parts.push(apply(img, map, rng, k));
    }
    return { image: img, description: `multi: ${parts.join('; ')}` };
  }
  return { image: img, description: apply(img, map, rng, kind) };
}

function pickWeighted(rng: Prng): string {
  let r = rng.below(KINDS.reduce((n, [, w]) => n + w, 0));
  for (const [k, w] of KINDS) {
    if (r < w) return k;
    r -= w;
  }
  return KINDS[0]![0];
}

function apply(img: Buffer, map: MetaMap, rng: Prng, kind: string): string {
  switch (kind) {
    case 'bytes': {
      const at: string[] = [];
      for (let n = 1 + rng.below(8); n > 0; n--) {
        const off = target(img, map, rng);
        img[off] = rng.below(256);
        at.push(`${off}=${img[off]}`);
      }
      return `bytes ${at.join(',')}`;
    }
    case 'bits': {
      const at: string[] = [];
      for (let n = 1 + rng.below(4); n > 0; n--) {
        const off = target(img, map, rng);
        const bit = rng.below(8);
        img[off]! ^= 1 << bit;
        at.push(`${off}.${bit}`);
      }
      return `bit flips ${at.join(',')}`;
    }
    case 'word': {
      if (map.words.length === 0) return apply(img, map, rng, 'bytes');
      const w = rng.pick(map.words);
      const v = interesting(img, rng, 8, img.readBigUInt64LE(w.off));
      img.writeBigUInt64LE(v, w.off);
      return `${w.kind} at ${w.off} = ${v}`;
    }
    case 'sealed': return sealed(img, map, rng);
    case 'zero': {
      const a = rng.pick(map.areas);
      const len = rng.chance(0.3) ? a.len : Math.min(a.len, 8 * (1 + rng.below(64)));
      const off = a.off + Math.floor(rng.below(a.len - len + 1) / 8) * 8;
      img.fill(0, off, off + len);
      return `zero ${a.kind} [${off}, ${off + len})`;
    }
    case 'copy': {
      const from = rng.pick(map.blocks);
      const to = rng.chance(0.8) ? rng.pick(map.blocks) : rng.below(img.length / BLOCK_SIZE);
      img.copy(img, to * BLOCK_SIZE, from * BLOCK_SIZE, (from + 1) * BLOCK_SIZE);
      return `copy block ${from} over block ${to}`;
    }
    default: throw new Error(`unknown mutation ${kind}`);
  }
}

/** A byte offset: 85% inside a metadata area, else anywhere. */
function target(img: Buffer, map: MetaMap, rng: Prng): number {
  if (map.areas.length > 0 && rng.chance(0.85)) {
    const a = rng.pick(map.areas);
    // the first 256 bytes and the last 64 of an area (headers, page tails) get extra weight
    if (a.len > 512 && rng.chance(0.4)) return rng.chance(0.5) ? a.off + rng.below(256) : a.off + a.len - 1 - rng.below(64);
    return a.off + rng.below(a.len);
  }
  return rng.below(img.length);
}

/** A field-sized value likely to reach an edge: zero, all ones, small, a block number or offset, near the old value. */
function interesting(img: Buffer, rng: Prng, width: number, old: bigint): bigint {
  const bits = BigInt(width * 8);
  const mask = (1n << bits) - 1n;
  const blocks = img.length / BLOCK_SIZE;
  const choices: Array<() => bigint> = [
    () => 0n, () => mask, () => 1n, () => BigInt(rng.below(256)),
    () => BigInt(rng.nextU32()) | (BigInt(rng.nextU32()) << 32n),
    () => BigInt(rng.below(blocks)), () => BigInt(rng.below(blocks) * BLOCK_SIZE),
    () => BigInt(rng.below(blocks) * BLOCK_SIZE + 8 * rng.below(BLOCK_SIZE / 8)),
    () => old + 1n, () => old - 1n, () => old + 8n, () => old - 8n, () => old + 4096n, () => old - 4096n,
    () => BigInt(img.length), () => 1n << BigInt(rng.between(15, 62)), () => mask >> 1n,
  ];
  return rng.pick(choices)() & mask;
}

function sealed(img: Buffer, map: MetaMap, rng: Prng): string {
  if (map.sealed.length === 0) return apply(img, map, rng, 'bytes');
  const s = rng.pick(map.sealed);
  const width = rng.pick([1, 2, 4, 8]);
  const span = s.crcEnd - s.crcStart - width;
  if (span < 0) return apply(img, map, rng, 'bytes');
  let off = s.crcStart + Math.floor(rng.below(span + 1) / width) * width;
  const crcWidth = s.fletcher ? 8 : 4;
  if (off < s.crcOff + crcWidth && off + width > s.crcOff) off = s.crcOff + crcWidth > s.crcEnd - width ? s.crcStart : s.crcOff + crcWidth;
  let old = 0n;
  for (let i = 0; i < width; i++) old |= BigInt(img[off + i]!) << BigInt(8 * i);
  const v = interesting(img, rng, width, old);
  for (let i = 0; i < width; i++) img[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  if (s.fletcher) {
    img.writeBigUInt64LE(bttInfoChecksum(img.subarray(s.off, s.off + 4096)), s.crcOff);
  } else {
    img.writeUInt32LE(crc32c(img.subarray(s.crcStart, s.crcEnd)), s.crcOff);
  }
  return `${s.kind} at ${s.off}: ${width} byte(s) at +${off - s.off} = ${v}, re-sealed`;
}

function truncate(img: Buffer, rng: Prng): Mutated {
  const len = rng.chance(0.7) ? BLOCK_SIZE * (1 + rng.below(img.length / BLOCK_SIZE - 1)) : BLOCK_SIZE + rng.below(img.length - BLOCK_SIZE);
  return { image: Buffer.from(img.subarray(0, len)), description: `truncated to ${len} bytes` };
}
