/**
 * MemoryRegion (kind 'memory'): one Buffer, stores are immediate, flush/drain/persist do nothing.
 *
 * Layer: pmem. For fast unit tests of code above the region, where crashes are not simulated
 * (use ShadowRegion for that). `fromImage` mounts a copy of an image; `image()` copies it out.
 */
import { BufferRegion, ownedBuffer } from './buffer-region';
import type { PmOffset } from './region';

export class MemoryRegion extends BufferRegion {
  readonly kind = 'memory' as const;

  constructor(sizeBytes: number) {
    super(ownedBuffer(sizeBytes));
  }

  /** A region holding a copy of `image`. */
  static fromImage(image: Uint8Array): MemoryRegion {
    const r = new MemoryRegion(image.length);
    r.live.set(image);
    return r;
  }

  /** A copy of the whole region. */
  image(): Buffer {
    this.checkOpen();
    return Buffer.from(this.live);
  }

  flush(off: PmOffset, len: number): void {
    this.check('flush', off, len);
  }

  drain(): void {
    this.checkOpen();
  }
}
