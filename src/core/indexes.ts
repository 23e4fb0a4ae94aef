/**
 * The DRAM index contracts the core uses, and the factories that build them from the index
 * modules in src/core/index/ (written by the index part). Keeping the contract here lets the
 * core adapt to those modules in one place.
 *
 * Layer: core. Pure DRAM.
 */

/**
 * A mapped piece of a file: region byte offset of its first byte, and whether it is unwritten.
 * `inline` marks a piece of the inline overlay: its bytes lie inside an INLINE_WRITE log entry
 * (issue 7's small-write path), never in a data block; absent (undefined) on block pieces.
 */
export interface ExtentValue { pm: number; unwritten: boolean; inline?: boolean }
/** A byte range of a file: mapped (value) or a hole (null). */
export interface ExtentPiece { start: number; end: number; value: ExtentValue | null }

/**
 * A file's extents, in two layers (src/core/file-data.ts reads them together):
 * - the BLOCK MAP (`set`/`remove`/`pieces`): block-aligned ranges → data blocks; every block
 *   accounting (allocator, fsck, log GC's WRITE_EXTENTs) uses only this layer;
 * - the INLINE OVERLAY (`setInline`/`removeInline`/`inlinePieces`): byte ranges → bytes inside
 *   INLINE_WRITE entries in the inode's log, each piece within one file block, lying over the
 *   block map (an overlay byte hides the block map's byte at the same file offset).
 */
export interface ExtentIndex {
  /** Map [start, end) to value (replacing what was there); returns the mapped pieces replaced. */
  set(start: number, end: number, value: ExtentValue): ExtentPiece[];
  /** Unmap [start, end); returns the mapped pieces removed. */
  remove(start: number, end: number): ExtentPiece[];
  /** The pieces covering [start, end) in order, holes included (value null). */
  pieces(start: number, end: number): ExtentPiece[];
  /** Every block-map extent in order, with no object per extent (the mount scan's block walk). */
  forEachMapped(fn: (start: number, end: number, value: ExtentValue) => void): void;
  /** Overlay [start, end) with the bytes at region offset `pm` (inside a log entry). */
  setInline(start: number, end: number, pm: number): void;
  /** Drop the overlay in [start, end) (end may be Number.MAX_SAFE_INTEGER). */
  removeInline(start: number, end: number): void;
  /** The overlay pieces inside [start, end), clipped, in order (no holes; values marked inline). */
  inlinePieces(start: number, end: number): ExtentPiece[];
  /** Number of mapped extents: block-map extents plus overlay pieces (DRAM cost). */
  readonly count: number;
  /** The smallest offset ≥ `off` the block map maps (data or unwritten), or -1. No allocation. */
  nextMapped(off: number): number;
  /** The smallest offset ≥ `off` the overlay holds, or -1. No allocation. */
  nextInline(off: number): number;
  /** Number of overlay pieces. */
  readonly inlineCount: number;
}

export interface DirSlot { ino: number; type: number; cookie: number }

export interface DirIndexLike {
  get(name: Buffer): DirSlot | undefined;
  add(name: Buffer, slot: DirSlot): void;
  remove(name: Buffer): void;
  /** Entries with cookie > `cookie`, in cookie order, at most `max`. */
  after(cookie: number, max: number): Array<DirSlot & { name: Buffer }>;
  /** Every live entry in cookie order, its name as a latin1 string (no object or Buffer per entry: mount's and fsck's walks). */
  forEachSlot(fn: (ino: number, type: number, nameLatin1: string, cookie: number) => void): void;
  readonly size: number;
}
