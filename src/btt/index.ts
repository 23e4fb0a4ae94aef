/**
 * Sector mode: a BTT (Block Translation Table, Linux drivers/nvdimm/btt.c) over a PM area,
 * giving a block device whose every sector write is atomic. The entry point for mkfs
 * (`formatBtt`), mount (`openBtt`), info (`describeBtt`) and fsck (`checkBtt`).
 *
 * Layer: core/btt. Files, bottom up:
 *   info.ts    info blocks: encode, decode, validate
 *   layout.ts  arenas: plan (format) and discover (open), backup info block lookup
 *   flog.ts    flog groups: newest entry, two-half entry write (the write's commit)
 *   map.ts     map entries: flags, the 8-byte map commit
 *   arena.ts   one arena: free list, recovery, read-tracking, the write protocol
 *   btt.ts     the Btt handle over all arenas
 *   format.ts  formatBtt;  check.ts  checkBtt;  describe.ts  describeBtt
 * Imports: src/pmem (Region), src/core (errors, assert, api types), fs-layout/btt.ts.
 */
export { formatBtt, randomUuid, type BttFormatOptions, type BttFormatResult } from './format';
export { openBtt, Btt, type BttOpenOptions, type PinnedRead } from './btt';
export type { BttFaults } from './arena';
export { checkBtt, type BttCheckOptions, type BttCheckReport, type BttProblem, type BttProblemSeverity } from './check';
export { describeBtt, formatUuid, type BttDescription, type BttArenaDescription } from './describe';
export { planArenas, type BttArea, type BttLayoutOptions } from './layout';
