/**
 * The module name src/fuse/image.ts loads for sector-mode mounts (its SECTOR_MODULE). The mount
 * code itself lives with the other FUSE fronts in src/fuse/sector-image.ts; this file only
 * forwards to it, so src/btt's own modules never import from src/fuse.
 */
export { openSectorImage } from '../fuse/sector-image';
