/**
 * What one check pass learned that a repair needs (beyond the printable problems): the broken
 * inodes and where their logs can be cut, block owners in conflict, names to remove, inodes to
 * reconnect, link counts to set.
 *
 * Layer: fsck. Pure DRAM. Invariant: everything here describes the region the check read; a
 * repair that changes the region must re-check before using findings again.
 */
import type { InodeInfo } from '../core/inode-info';
import type { InodeTable } from '../core/inode-table';
import type { SuperblockInfo, SuperblockRead } from '../core/superblock';
import type { ChainFault } from './chains';
import type { LogCut } from './salvage';

/** Who holds a run of blocks. Lower `rank` wins a conflict (metadata, log, symlink, xattr, data). */
export interface BlockOwner {
  start: number;
  count: number;
  kind: 'meta' | 'log' | 'symlink' | 'xattr' | 'data';
  /** 0 for file system metadata. */
  ino: number;
  what: string;
  /** data: file byte offset of `start`; unwritten flag. */
  fileOffset?: number;
  unwritten?: boolean;
  /** xattr: the name (latin1 key). */
  xattr?: string;
}

export const OWNER_RANK = { meta: 0, log: 1, symlink: 2, xattr: 3, data: 4 } as const;

export interface BlockConflict {
  /** The owner that gives the blocks up, and the blocks. */
  loser: BlockOwner;
  start: number;
  count: number;
  /** null: the blocks lie outside the region. */
  winner: BlockOwner | null;
}

export interface BadName { dir: number; name: Buffer; ino: number; type: number; cookie: number }

export interface Findings {
  read: SuperblockRead | null;
  /** Both copies failed but a header was recovered from them (./superblock-rebuild.ts). */
  sbRebuild: SuperblockInfo | null;
  journal: 'idle' | 'pending' | 'bad';
  table: InodeTable | null;
  /** The first fault in the inode table or orphan list chain. */
  chainFault: ChainFault | null;
  /** The root is free, not a directory, or (broken) has no valid log prefix: recreate it. */
  rootBad: boolean;
  inodes: Map<number, InodeInfo>;
  /** Inodes that do not load: fixed body bad ('inode', cut null) or log bad (cut given). */
  broken: Map<number, { slotOff: number; state: bigint; cut: LogCut | null }>;
  /** Every block run held, as collected (for the repair's allocator). */
  owners: BlockOwner[];
  conflicts: BlockConflict[];
  badNames: BadName[];
  unreachable: number[];
  nlink: Array<{ ino: number; want: number }>;
  /** Directories whose `..` is wrong: log SETATTR PARENT. */
  dotdot: Array<{ ino: number; parent: number }>;
  /** Regular files with blocks mapped wholly past EOF: punch [from, to). */
  pastEof: Array<{ ino: number; from: number; to: number }>;
  badXattrs: Array<{ ino: number; key: string }>;
  /** Last blocks with non-zero bytes past EOF: rewrite as a copy with a zeroed tail. */
  eofTails: Array<{ ino: number; fileOffset: number; pmBlock: number; within: number }>;
  /** Symlinks without a target (freed). */
  badSymlinks: number[];
  /** The saved allocator state disagrees with the scan (invalidate it). */
  savedStateStale: boolean;
  needsMount: boolean;
}

export function emptyFindings(): Findings {
  return {
    read: null, sbRebuild: null, journal: 'idle', table: null, chainFault: null, rootBad: false, inodes: new Map(), broken: new Map(), owners: [], conflicts: [], badNames: [],
    unreachable: [], nlink: [], dotdot: [], pastEof: [], badXattrs: [], eofTails: [], badSymlinks: [], savedStateStale: false, needsMount: false,
  };
}
