/**
 * Shared types of the benchmark suite (tools/bench): targets, parts, metrics and the result record.
 *
 * Layer: tools/bench (a front); imports nothing from the core. A metric is one figure measured on
 * every target; its `better` says which direction is good, so ratios can be oriented the same way
 * for every row (> 1 always means "the subject is better").
 */

/** The file systems the suite knows how to set up. */
export const TARGET_NAMES = ['tmpfs', 'ext4', 'ext4-disk', 'cfuse', 'cfuse-st', 'pmlogfs'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** Groups of workloads that can be picked with --parts. */
export const PART_NAMES = ['seq', 'rand', 'sync', 'meta', 'tree', 'recovery'] as const;
export type PartName = (typeof PART_NAMES)[number];

export interface MetricDef {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  part: PartName;
}

/** metric id -> value, for one target. */
export type Figures = Record<string, number>;

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  hostname: string;
}

export interface BenchOptions {
  targets: TargetName[];
  parts: PartName[];
  quick: boolean;
  /** Size of the file for sequential I/O. */
  seqSizeBytes: number;
  /** Size of the file for random I/O. */
  randSizeBytes: number;
  /** Seconds for each time-based fio job. */
  runtimeS: number;
  /** Names per metadata phase. */
  metaFiles: number;
  readdirEntries: number;
  syncIterations: number;
  treeFiles: number;
  /** Each workload runs this many rounds; the table shows the median. */
  repeat: number;
  /** Size of tmpfs / ext4 / pmlogfs images. */
  fsSizeBytes: number;
  /** Directory holding ext4's loop-device backing file (target ext4); ext4-disk uses workDir. */
  ext4Backing: string;
  /** Directory for mount points and the ext4-disk image. */
  workDir: string;
  /** Where results go; null = do not write files. */
  outDir: string | null;
  /** The target whose ratios the table shows. */
  subject: TargetName | null;
  json: boolean;
  label: string;
  seed: number;
}

export interface BenchResult {
  schema: 'pmlogfs-bench/1';
  date: string;
  label: string;
  machine: MachineInfo;
  versions: Record<string, string>;
  options: Omit<BenchOptions, 'json'>;
  metrics: MetricDef[];
  /** target -> figures; a missing figure means the workload did not run or failed there. */
  figures: Partial<Record<TargetName, Figures>>;
  /** target -> the figures of every round (figures holds their medians): shows the spread. */
  rounds?: Partial<Record<TargetName, Figures[]>>;
  /** target -> what exactly was mounted, and how */
  descriptions: Partial<Record<TargetName, string>>;
  /** target -> notes (failures, caveats) */
  notes: Partial<Record<TargetName, string[]>>;
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: the machine may be shared. */
  loadAverage?: { start: number[]; end: number[] };
  /** Other processes busy on the machine when the run started (tools/bench/busy.ts). */
  busyAtStart?: { pid: number; cpuPct: number; command: string }[];
  /** pmlogfs-only figures from tools/bench/recovery (mount/recovery times), when it ran. */
  recovery?: RecoveryFigures;
  durationS: number;
}

export interface RecoveryFigures {
  /** The command that produced them. */
  source: string;
  /** Flattened numeric fields of its JSON output (nested keys joined with '.'). */
  figures: Figures;
}
