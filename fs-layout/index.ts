/**
 * The on-media format of pmlogfs, defined once (STYLE.md principle 1). FORMAT.md is the prose
 * and tables; these modules are the same tables as code. The sector-mode BTT structures are in
 * btt.ts (owned by the BTT part, specified in FORMAT-BTT.md).
 *
 * Layer: format. Imports nothing outside fs-layout/.
 */
export * from './struct';
export * from './constants';
export * from './superblock';
export * from './inode';
export * from './log';
export * from './journal';
export * from './orphan';
export * from './saved-state';
export * from './btt';
export * from './btt';
