/**
 * One read-only check pass: the superblock and its replica, the journal, the inode table chain,
 * the orphan list, every live inode's log (the core's own `loadInode`: bounded, acyclic, page
 * tails, entry checksums up to the committed tail), blocks used once and inside the region,
 * sizes against extents, xattrs, tree connectivity, nlink = names (directories: 2 +
 * subdirectories), and the saved allocator state against the scan. Returns the printable
 * problems and the `Findings` a repair acts on (./repair.ts).
 *
 * Layer: fsck (above core). Reads PM only through `Region`; offsets from fs-layout and the core's
 * codecs. Invariants: never throws on a corrupted image (every CorruptionError becomes a
 * problem); every walk is bounded by the region's block count (the core's walkers are); the
 * region is never written (a pending journal is rolled back in a private copy).
 */
import { BLOCK_SIZE, INODE, INODES_PER_TABLE_BLOCK, JOURNAL, JOURNAL_COMMITTED, JOURNAL_IDLE, XATTR_NAME_MAX, inodeStateValid } from '../../fs-layout';
import { MemoryRegion } from '../pmem/memory-region';
import type { Region } from '../pmem/region';
import { S_IFLNK } from '../core/api';
import { CorruptionError } from '../core/errors';
import type { InodeInfo } from '../core/inode-info';
import { makeIndexFactories } from '../core/index-adapters';
import { InodeTable } from '../core/inode-table';
import { OrphanList } from '../core/orphans';
import { loadInode, rollbackJournal } from '../core/recovery';
import { readSuperblock, type SuperblockRead } from '../core/superblock';
import { checkBtt } from '../btt/check';
import { collectOwners, findConflicts } from './blocks';
import { chainFault } from './chains';
import { dentryGenerations } from './dentry-gens';
import { emptyFindings, type Findings } from './findings';
import { Problems, type FsckProblem } from './problems';
import { findCut } from './salvage';
import { compareSavedState } from './saved-state-check';
import { layoutHeader, voteHeader } from './superblock-rebuild';
import { checkTree } from './tree';

export interface FsckStats { inodes: number; directories: number; usedBlocks: number; blockCount: number }

export interface CheckPass {
  mode: 'fs' | 'sector' | 'unknown';
  problems: FsckProblem[];
  stats: FsckStats;
  findings: Findings;
}

export interface CheckOptions {
  progress?: (phase: string, done: number) => void;
  maxListed?: number;
}

export function checkOnce(region: Region, opts: CheckOptions): CheckPass {
  const probs = new Problems(opts.maxListed ?? 20);
  const pass: CheckPass = { mode: 'unknown', problems: probs.list, stats: { inodes: 0, directories: 0, usedBlocks: 0, blockCount: 0 }, findings: emptyFindings() };
  try {
    checkInto(region, opts, probs, pass);
  } catch (e) {
    // A bug or a corruption a deeper walker did not expect: still a report, never a throw.
    probs.corruption('internal', e, 'checker');
  }
  return pass;
}

function checkInto(region: Region, opts: CheckOptions, probs: Problems, pass: CheckPass): void {
  const progress = opts.progress ?? (() => undefined);
  const fx = pass.findings;
  progress('superblock', 0);
  if (region.sizeBytes < 2 * BLOCK_SIZE) {
    probs.add('superblock', 'error', 'region', 0, `region of ${region.sizeBytes} bytes is too small for pmlogfs`);
    return;
  }
  let read: SuperblockRead;
  try {
    read = readSuperblock(region);
  } catch (e) {
    const voted = voteHeader(region);
    fx.sbRebuild = voted ?? layoutHeader(region);
    const how = voted ? '; a header both copies agree on was recovered (-y rewrites both)'
      : fx.sbRebuild ? '; the standard layout matches the inode table (-y rebuilds both copies from it)' : '';
    probs.corruption('superblock', e, 'superblock', 0, how);
    return;
  }
  fx.read = read;
  const sb = read.sb;
  pass.mode = sb.mode;
  pass.stats.blockCount = sb.blockCount;
  if (read.primaryProblem) probs.add('superblock-primary', 'error', 'primary superblock', 0, `${read.primaryProblem} (the replica was used)`);
  if (read.replicaProblem) probs.add('superblock-replica', 'error', 'replica superblock', sb.replicaBlock * BLOCK_SIZE, read.replicaProblem);
  if (sb.regionBytes > region.sizeBytes) probs.add('superblock', 'error', 'superblock', 0, `claims ${sb.regionBytes} bytes, region has ${region.sizeBytes}`);
  if (read.state.errors) { probs.add('errors-flag', 'warning', 'superblock state', 0, 'the errors flag is set (the core met corruption while mounted)'); fx.needsMount = true; }

  if (sb.mode === 'sector') {
    if (!sb.btt) { probs.add('btt', 'error', 'superblock', 0, 'sector mode without a BTT area'); return; }
    const r = checkBtt(region, { offset: sb.btt.offset, size: sb.btt.size });
    for (const p of r.problems) probs.add(`btt-${p.code}`, p.severity, `BTT arena ${p.arena}`, p.offset, p.message);
    return;
  }
  if (!read.state.clean) { probs.add('not-clean', 'note', 'superblock state', 0, 'not cleanly unmounted (mount recovers)'); fx.needsMount = true; }

  const copy = checkJournal(region, sb.journalBlock, probs, fx);

  progress('inode table', 0);
  const table = new InodeTable(copy);
  try {
    table.load(sb.inodeTableBlock);
  } catch (e) {
    probs.corruption('inode-table', e, 'inode table chain', sb.inodeTableBlock * BLOCK_SIZE);
    fx.chainFault = chainFault('table', table.blocks, e, sb.blockCount);
    return;
  }
  fx.table = table;
  const orphans = new OrphanList(copy);
  let orphansOk = true;
  try {
    orphans.load(sb.orphanBlock);
  } catch (e) {
    orphansOk = false;
    probs.corruption('orphan-list', e, 'orphan list', sb.orphanBlock * BLOCK_SIZE);
    fx.chainFault = chainFault('orphan', orphans.blocks, e, sb.blockCount);
  }

  loadInodes(copy, table, probs, fx, progress);
  pass.stats.inodes = fx.inodes.size;
  checkFiles(copy, fx, probs);

  progress('blocks', 0);
  const owners = collectOwners(sb, table.blocks, orphans.blocks, fx.inodes);
  fx.owners = owners;
  pass.stats.usedBlocks = owners.reduce((n, o) => n + o.count, 0);
  fx.conflicts = findConflicts(owners, sb.blockCount, probs);
  if (copy === region) compareSavedState(region, read, table.capacity, owners, fx, probs);

  progress('tree', 0);
  pass.stats.directories = checkTree(fx, sb.rootIno, orphansOk ? new Set(orphans.occupied.values()) : null, probs,
    (ino) => Number(copy.readBigU64(table.slotOffset(ino) + INODE.off.parentHint)), (d) => dentryGenerations(copy, d));
}

/** The journal state; a pending journal is rolled back in a private copy, which is returned. */
function checkJournal(region: Region, journalBlock: number, probs: Problems, fx: Findings): Region {
  const jOff = journalBlock * BLOCK_SIZE;
  try {
    const st = region.readBigU64(jOff + JOURNAL.off.state) & 0xffn;
    if (st === JOURNAL_COMMITTED) {
      probs.add('journal-pending', 'warning', 'journal', jOff, 'an interrupted operation is pending (mount rolls it back)');
      fx.journal = 'pending';
      const copy = MemoryRegion.fromImage(region.read(0, region.sizeBytes));
      rollbackJournal(copy, journalBlock);
      return copy;
    }
    if (st !== JOURNAL_IDLE) {
      probs.add('journal', 'error', 'journal', jOff, `unknown journal state ${st}`);
      fx.journal = 'bad';
    }
  } catch (e) {
    fx.journal = 'bad';
    probs.corruption('journal', e, 'journal', jOff);
  }
  return region;
}

function loadInodes(region: Region, table: InodeTable, probs: Problems, fx: Findings, progress: (p: string, d: number) => void): void {
  const f = makeIndexFactories();
  const capacity = table.blocks.length * INODES_PER_TABLE_BLOCK;
  for (let ino = 1; ino <= capacity; ino++) {
    if (ino % 4096 === 0) progress('inodes', ino / capacity);
    const off = table.slotOffset(ino);
    const state = table.readState(ino);
    if (!inodeStateValid(state)) continue;
    try {
      fx.inodes.set(ino, loadInode(region, table, ino, state, f));
    } catch (e) {
      if (e instanceof CorruptionError && e.structure.startsWith('log')) {
        const cut = findCut(region, off, ino, state, f);
        const what = !cut ? '' : cut.newTail ? `; entries from region offset ${cut.newTail} on are lost (the log is cut there)` : '; no entry of the log replays (the inode is freed)';
        probs.corruption(cut?.torn ? 'log-torn' : 'log', e, `inode ${ino}`, off, what);
        fx.broken.set(ino, { slotOff: off, state, cut });
        // The rest of the check sees the log as -y will leave it (cut), not as missing.
        if (cut?.info) fx.inodes.set(ino, cut.info);
      } else {
        probs.corruption('inode', e, `inode ${ino}`, off, '; the inode is freed (its names are removed)');
        fx.broken.set(ino, { slotOff: off, state, cut: null });
      }
    }
  }
}

/** Sizes against extents (no written block wholly past EOF) and xattr names and value blocks. */
function checkFiles(region: Region, fx: Findings, probs: Problems): void {
  for (const n of fx.inodes.values()) {
    checkEofTail(region, n, fx, probs);
    if (n.type === S_IFLNK && n.symlink === null) {
      probs.add('symlink', 'error', `inode ${n.ino}`, n.slotOff, 'symlink without a target (its SYMLINK entry is missing); the inode is freed');
      fx.badSymlinks.push(n.ino);
    }
    if (n.extents && n.extents.count > 0) { // (speed: most files of a big tree map nothing)
      const eofBlock = Math.ceil(n.size / BLOCK_SIZE) * BLOCK_SIZE;
      let to = 0;
      // unwritten blocks past EOF are a fallocate(KEEP_SIZE) preallocation, not a problem
      for (const p of n.extents.pieces(eofBlock, Number.MAX_SAFE_INTEGER)) if (p.value && !p.value.unwritten) to = Math.max(to, p.end);
      if (to > eofBlock) {
        probs.add('size-extents', 'error', `inode ${n.ino}`, n.slotOff, `written blocks mapped past EOF (size ${n.size}, mapped up to ${to})`);
        fx.pastEof.push({ ino: n.ino, from: eofBlock, to });
      }
    }
    if (n.xattrs.size > 0) for (const [key, v] of n.xattrs) {
      let bad = '';
      if (key.length < 1 || key.length > XATTR_NAME_MAX || key.includes('\0')) bad = `name of ${key.length} bytes or with a NUL`;
      else if (!Buffer.isBuffer(v)) {
        const blocks = v.extents.reduce((s, x) => s + x.count, 0);
        if (v.length <= 0 || blocks * BLOCK_SIZE < v.length) bad = `value of ${v.length} bytes in ${blocks} blocks`;
      }
      if (bad) {
        probs.add('xattr', 'error', `inode ${n.ino}, xattr ${JSON.stringify(key)}`, n.slotOff, bad);
        fx.badXattrs.push({ ino: n.ino, key });
      }
    }
  }
}

const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);

/** The bytes past EOF in the block holding it must be zero (FORMAT.md, file data invariant). */
function checkEofTail(region: Region, n: InodeInfo, fx: Findings, probs: Problems): void {
  const within = n.size % BLOCK_SIZE;
  if (!n.extents || within === 0) return;
  const start = n.size - within;
  const p = n.extents.pieces(start, start + BLOCK_SIZE)[0];
  if (!p?.value || p.value.unwritten) return;
  const pm = p.value.pm + (start - p.start);
  if (pm < 0 || pm + BLOCK_SIZE > region.sizeBytes) return; // out of range: the block check reports it
  const tail = region.bytes(pm + within, BLOCK_SIZE - within);
  if (Buffer.compare(tail, ZERO_BLOCK.subarray(0, tail.length)) === 0) return;
  probs.add('eof-tail', 'error', `inode ${n.ino}`, pm + within, `bytes past EOF (size ${n.size}) in its last block are not zero`);
  fx.eofTails.push({ ino: n.ino, fileOffset: start, pmBlock: pm / BLOCK_SIZE, within });
}
