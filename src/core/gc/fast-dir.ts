/**
 * Log GC, fast, for DIRECTORY logs: which pages of a window hold only dead name entries.
 *
 * A page P of [from, stop) (never the tail page) is DEAD when
 *   D1. every entry in P is a DENTRY_ADD or a DENTRY_REMOVE (anything else — SETATTR, LINK_CHANGE,
 *       XATTR_* — pins it);
 *   D2. each DENTRY_ADD (name N, cookie c) is stale — the DRAM name index has no N, or N with
 *       another cookie (it is not the last setter of N) — AND is PAIRED: the DENTRY_REMOVE that
 *       ended it (same cookie, same name: unlink, rename and exchange log the removed name's
 *       cookie) lies in the window, at or after it;
 *   D3. each DENTRY_REMOVE is paired with its DENTRY_ADD in the window, at or before it;
 *   D4. every page from an ADD's page to its REMOVE's page is dead too — fast GC unlinks each run
 *       of consecutive dead pages with one commit, so a pair lies in one run and both entries go
 *       with ONE commit: replay never meets a REMOVE whose name is missing (the replay would call
 *       that corruption) nor an ADD whose REMOVE is gone (the name would come back);
 *   D5. an ADD with a higher cookie than every ADD of P comes after P in the pages read: replay
 *       rebuilds `nextCookie` as 1 + the highest cookie it meets, and that later ADD also sets the
 *       directory's mtime and ctime after every entry of P (ADD and REMOVE set both).
 * Why replay is unchanged: the names a dropped run held were all added and removed inside it
 * (D2–D4), so the run's net effect on the name map is nothing; its effect on times and on
 * nextCookie is overridden by a later ADD (D5); it held nothing else (D1).
 * Unknown keeps a page: a REMOVE whose ADD lies before the window, an ADD whose REMOVE lies past
 * it (or in the look-ahead pages, which are read but not freed in this step).
 *
 * Layer: core/gc. Reads PM (entry headers, cookies, names) through fs-layout's definitions and the
 * DRAM name index; writes nothing (./fast.ts unlinks).
 */
import { BLOCK_SIZE } from '../../../fs-layout/constants';
import { E_DENTRY, ENTRY_HEADER, ENTRY_HEADER_SIZE, ET, LOG_PAGE_DATA_BYTES } from '../../../fs-layout/log';
import type { Region } from '../../pmem/region';
import type { InodeInfo } from '../inode-info';
import { scanPage, u64 } from './page-scan';

const D_COOKIE = ENTRY_HEADER_SIZE + E_DENTRY.off.cookie;
const D_NAME_LEN = ENTRY_HEADER_SIZE + E_DENTRY.off.nameLength;
const D_NAME = ENTRY_HEADER_SIZE + E_DENTRY.size;

/** An ADD waiting for its REMOVE while the window is walked oldest first. */
interface OpenAdd { page: number; name: Buffer }

/**
 * Dead pages among [from, stop) of directory `info`'s log (index i − from), reading pages
 * [from, last] (last ≥ stop − 1 adds look-ahead for D5).
 */
export function findDeadDirPages(region: Region, info: InodeInfo, from: number, stop: number, last: number): boolean[] {
  const dir = info.dir!;
  const pages = info.logPages;
  const tailIndex = pages.length - 1;
  const n = last - from + 1;
  const pinned = new Array<boolean>(n).fill(false);
  const maxCookie = new Array<number>(n).fill(-1); // the highest ADD cookie of each page
  const open = new Map<number, OpenAdd>(); // cookie → the newest unpaired ADD with it
  const pairs: number[] = []; // [addPage, removePage, …] (window indexes)
  for (let i = from; i <= last; i++) {
    const w = i - from;
    const s = scanPage(region, pages[i], i === tailIndex ? info.logTail - pages[i] * BLOCK_SIZE : LOG_PAGE_DATA_BYTES);
    for (const pos of s.entries) {
      const type = s.page.readUInt16LE(pos + ENTRY_HEADER.off.type);
      if (type !== ET.DENTRY_ADD && type !== ET.DENTRY_REMOVE) { pinned[w] = true; continue; } // D1
      const cookie = u64(s.page, pos + D_COOKIE);
      const name = s.page.subarray(pos + D_NAME, pos + D_NAME + s.page.readUInt16LE(pos + D_NAME_LEN)); // a view
      if (type === ET.DENTRY_ADD) {
        if (cookie > maxCookie[w]) maxCookie[w] = cookie;
        if (dir.get(name)?.cookie === cookie) pinned[w] = true; // D2: still the name's entry
        const prev = open.get(cookie);
        if (prev) pinned[prev.page] = true; // an older ADD with this cookie never paired: keep it
        open.set(cookie, { page: w, name });
      } else {
        const add = open.get(cookie);
        if (add && add.name.equals(name)) {
          pairs.push(add.page, w);
          open.delete(cookie);
        } else pinned[w] = true; // D3: its ADD is before the window (or not found): keep it
      }
    }
  }
  for (const a of open.values()) pinned[a.page] = true; // D2: no REMOVE in the pages read
  for (let w = stop - from; w < n; w++) pinned[w] = true; // look-ahead pages are not freed now
  // D5: the highest ADD cookie after each page
  let after = -1;
  for (let w = n - 1; w >= 0; w--) {
    if (after <= maxCookie[w]) pinned[w] = true;
    if (maxCookie[w] > after) after = maxCookie[w];
  }
  // D4: a pair keeps its two pages unless every page between them is dead (to a fixed point: each
  // round pins at least one more page, or stops)
  for (let changed = true; changed;) {
    changed = false;
    const pinnedBefore = new Int32Array(n + 1); // pinned pages among [0, w)
    for (let w = 0; w < n; w++) pinnedBefore[w + 1] = pinnedBefore[w] + (pinned[w] ? 1 : 0);
    for (let k = 0; k < pairs.length; k += 2) {
      const a = pairs[k];
      const r = pairs[k + 1];
      if (pinnedBefore[r + 1] - pinnedBefore[a] === 0 || (pinned[a] && pinned[r])) continue;
      pinned[a] = pinned[r] = true;
      changed = true;
    }
  }
  return pinned.slice(0, stop - from).map((p) => !p);
}
