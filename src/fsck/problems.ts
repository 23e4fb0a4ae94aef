/**
 * The checker's report types and the problem list it fills (one place that knows how a problem
 * is recorded and capped per code).
 *
 * Layer: fsck. Pure DRAM. Invariant: a problem's `code` is stable (tests and scripts match on
 * it); `safe` says whether preen (-p) may repair it (README "fsck").
 */
import { CorruptionError } from '../core/errors';

export type FsckSeverity = 'error' | 'warning' | 'note';

export interface FsckProblem {
  /** Stable kind, e.g. 'superblock-primary', 'log', 'block-twice', 'nlink'. */
  code: string;
  severity: FsckSeverity;
  /** The structure concerned, in words ("log of inode 12, entry"). */
  structure: string;
  /** Region byte offset of that structure (0 when not known). */
  offset: number;
  message: string;
  /** True when `fsck -y` knows a repair for it. */
  fixable: boolean;
  /** True when a repair made it go away. */
  fixed: boolean;
}

/** Codes preen (-p) repairs without asking: nothing reachable and valid can be lost by them. */
export const SAFE_CODES: ReadonlySet<string> = new Set([
  'journal-pending', 'orphan', 'not-clean', 'log-torn', 'superblock-primary', 'superblock-replica', 'saved-state', 'leaked',
  'errors-flag',
]);

/** Codes `fsck -y` repairs (others are reported and left). */
export const FIXABLE_CODES: ReadonlySet<string> = new Set([
  ...SAFE_CODES, 'journal', 'log', 'inode', 'block-twice', 'block-range', 'dentry-free-inode', 'dentry-type', 'dentry-generation',
  'dir-two-names', 'unreachable', 'nlink', 'size-extents', 'xattr', 'symlink', 'inode-table', 'orphan-list', 'root', 'dotdot', 'superblock', 'eof-tail',
]);

export class Problems {
  readonly list: FsckProblem[] = [];
  private readonly perCode = new Map<string, number>();
  constructor(private readonly max: number) {}
  add(code: string, severity: FsckSeverity, structure: string, offset: number, message: string): void {
    const n = (this.perCode.get(code) ?? 0) + 1;
    this.perCode.set(code, n);
    if (n === this.max + 1) {
      this.list.push({ code, severity, structure: '(more)', offset: 0, message: `further '${code}' problems not listed`, fixable: FIXABLE_CODES.has(code), fixed: false });
    }
    if (n > this.max) return;
    this.list.push({ code, severity, structure, offset, message, fixable: FIXABLE_CODES.has(code), fixed: false });
  }
  corruption(code: string, e: unknown, fallback: string, offset = 0, suffix = ''): void {
    if (e instanceof CorruptionError) this.add(code, 'error', e.structure ?? fallback, e.offset ?? offset, e.message + suffix);
    else if (e instanceof Error) this.add(code, 'error', fallback, offset, `${e.name}: ${e.message}${suffix}`);
    else this.add(code, 'error', fallback, offset, String(e) + suffix);
  }
}
