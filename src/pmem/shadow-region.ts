/**
 * ShadowRegion: the simulated PM of DESIGN.md's crash model, for crash tests.
 *
 * Layer: pmem. Two buffers: `live` (what the file system writes and reads) and `media` (what
 * survives a crash for certain). `flush(off,len)` records the 64-byte lines it covers; `drain()`
 * (the fence) copies the recorded lines live -> media and clears the record. So:
 * - a store never flushed stays only in live;
 * - flushed but not yet drained: in live, recorded, not on media ("in flight");
 * - drained: on media.
 * A crash may persist any subset of the in-flight lines (lines where live and media differ):
 * `crashImage(lines)` = media + the chosen live lines. `isDurable()` is true when nothing is in
 * flight (what every operation must leave behind when it returns).
 *
 * `onFence(cb)` hooks run at every drain BEFORE the recorded lines are copied, so a hook sees
 * exactly the state a crash just before this fence could leave; `fenceCount` counts drains
 * (every persist, copyPersist, commit64 and zero includes one).
 */
import { AssertionFailure } from '../core/assert';
import { BufferRegion, ownedBuffer } from './buffer-region';
import { copyLines, diffLines } from './line-ops';
import type { PmOffset } from './region';
import { checkRange, closedError, LINE_BYTES } from './window';

export type FenceHook = (region: ShadowRegion, fenceNumber: number) => void;

export class ShadowRegion extends BufferRegion {
  readonly kind = 'memory' as const;
  private readonly media: Buffer;
  /** 1 for each line flushed since the last fence. */
  private readonly recorded: Uint8Array;
  /** The recorded lines, in the order they were first flushed. */
  private pending: number[] = [];
  private hooks: FenceHook[] = [];
  private fences = 0;
  private inHook = false;

  constructor(sizeBytes: number) {
    super(ownedBuffer(sizeBytes));
    this.media = ownedBuffer(sizeBytes);
    this.recorded = new Uint8Array(Math.ceil(sizeBytes / LINE_BYTES));
  }

  /** A region whose live and media buffers both hold a copy of `image` (e.g. a crash image). */
  static fromImage(image: Uint8Array): ShadowRegion {
    const r = new ShadowRegion(image.length);
    r.live.set(image);
    r.media.set(image);
    return r;
  }

  // ---- the two persistence primitives everything else is built on ---------------------
  flush(off: PmOffset, len: number): void {
    this.check('flush', off, len);
    if (len === 0) return;
    const last = Math.floor((off + len - 1) / LINE_BYTES);
    for (let line = Math.floor(off / LINE_BYTES); line <= last; line++) {
      if (this.recorded[line] === 0) {
        this.recorded[line] = 1;
        this.pending.push(line);
      }
    }
  }

  drain(): void {
    this.checkOpen();
    if (this.inHook) throw new AssertionFailure('a fence hook must not write to the region it observes');
    this.fences++;
    if (this.hooks.length > 0) {
      this.inHook = true;
      try {
        for (const hook of [...this.hooks]) hook(this, this.fences);
      } finally {
        this.inHook = false;
      }
    }
    copyLines(this.media, this.live, this.pending);
    for (const line of this.pending) this.recorded[line] = 0;
    this.pending = [];
  }

  // ---- observing the crash state -------------------------------------------------------
  /** Number of fences (drains) so far. */
  get fenceCount(): number {
    return this.fences;
  }

  /** Registers a hook called at every fence before its lines reach media; returns its remover. */
  onFence(cb: FenceHook): () => void {
    this.hooks.push(cb);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== cb);
    };
  }

  /** Indices of the 64-byte lines where live and media differ: the stores in flight. */
  inFlightLines(): number[] {
    this.checkOpen();
    return diffLines(this.live, this.media);
  }

  /** Lines flushed since the last fence (a subset of, or equal to, the in-flight lines). */
  flushedLines(): number[] {
    this.checkOpen();
    return [...this.pending];
  }

  /** True when live equals media: every store so far is durable. */
  isDurable(): boolean {
    this.checkOpen();
    return this.live.equals(this.media);
  }

  /** A new image: media plus the listed lines taken from live (what one crash could leave). */
  crashImage(lines: Iterable<number>): Buffer {
    this.checkOpen();
    const image = Buffer.from(this.media);
    copyLines(image, this.live, lines);
    return image;
  }

  /** A copy of the media buffer (what survives a crash with nothing in flight persisted). */
  mediaImage(): Buffer {
    if (this.closed) throw closedError(this.kind);
    return Buffer.from(this.media);
  }

  /** A copy of the live buffer (what the file system sees now). */
  liveImage(): Buffer {
    this.checkOpen();
    return Buffer.from(this.live);
  }

  /** Reads [off, off+len) of the media buffer (for tests asserting what is durable). */
  readMedia(off: PmOffset, len: number): Buffer {
    if (this.closed) throw closedError(this.kind);
    checkRange('readMedia', off, len, this.sizeBytes);
    return Buffer.from(this.media.subarray(off, off + len));
  }
}
