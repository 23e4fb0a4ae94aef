/**
 * The DRAM index contracts the core uses, and the factories that build them from the index
 * modules in src/core/index/ (written by the index part). Keeping the contract here lets the
 * core adapt to those modules in one place.
 *
 * Layer: core. Pure DRAM.
 */

/** A mapped piece of a file: region byte offset of its first byte, and whether it is unwritten. */
export interface ExtentValue { pm: number; unwritten: boolean }
/** A byte range of a file: mapped (value) or a hole (null). */
export interface ExtentPiece { start: number; end: number; value: ExtentValue | null }

export interface ExtentIndex {
  /** Map [start, end) to value (replacing what was there); returns the mapped pieces replaced. */
  set(start: number, end: number, value: ExtentValue): ExtentPiece[];
  /** Unmap [start, end); returns the mapped pieces removed. */
  remove(start: number, end: number): ExtentPiece[];
  /** The pieces covering [start, end) in order, holes included (value null). */
  pieces(start: number, end: number): ExtentPiece[];
  /** Number of mapped extents. */
  readonly count: number;
}

export interface DirSlot { ino: number; type: number; cookie: number }

export interface DirIndexLike {
  get(name: Buffer): DirSlot | undefined;
  add(name: Buffer, slot: DirSlot): void;
  remove(name: Buffer): void;
  /** Entries with cookie > `cookie`, in cookie order, at most `max`. */
  after(cookie: number, max: number): Array<DirSlot & { name: Buffer }>;
  readonly size: number;
}
