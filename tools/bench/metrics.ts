/**
 * The rows of the benchmark table: every figure the suite measures, in display order.
 *
 * Layer: tools/bench. The ids are the keys of BenchResult.figures; workloads fill them, the report
 * reads them. Keep ids stable: committed result files are compared across runs.
 */
import { MetricDef } from './types';

export const METRICS: MetricDef[] = [
  { id: 'seq_write_1m_mib_s', label: 'seq write 1 MiB (+ end fsync)', unit: 'MiB/s', better: 'higher', part: 'seq' },
  { id: 'seq_read_1m_mib_s', label: 'seq read 1 MiB', unit: 'MiB/s', better: 'higher', part: 'seq' },
  { id: 'seq_write_128k_mib_s', label: 'seq write 128 KiB (+ end fsync)', unit: 'MiB/s', better: 'higher', part: 'seq' },
  { id: 'seq_read_128k_mib_s', label: 'seq read 128 KiB', unit: 'MiB/s', better: 'higher', part: 'seq' },
  { id: 'rand_write_4k_1j_iops', label: 'rand write 4 KiB, 1 job', unit: 'IOPS', better: 'higher', part: 'rand' },
  { id: 'rand_write_4k_2j_iops', label: 'rand write 4 KiB, 2 jobs', unit: 'IOPS', better: 'higher', part: 'rand' },
  { id: 'rand_read_4k_1j_iops', label: 'rand read 4 KiB O_DIRECT, 1 job', unit: 'IOPS', better: 'higher', part: 'rand' },
  { id: 'rand_read_4k_2j_iops', label: 'rand read 4 KiB O_DIRECT, 2 jobs', unit: 'IOPS', better: 'higher', part: 'rand' },
  { id: 'fio_fsync_write_p50_us', label: 'fio 4 KiB write (fsync=1): write p50', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'fio_fsync_sync_p50_us', label: 'fio 4 KiB write (fsync=1): fsync p50', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'fio_fsync_sync_p99_us', label: 'fio 4 KiB write (fsync=1): fsync p99', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'dsync_4k_p50_us', label: 'fio 4 KiB O_DSYNC write p50', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'dsync_4k_p99_us', label: 'fio 4 KiB O_DSYNC write p99', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'write4k_fsync_p50_us', label: 'durability: 4 KiB pwrite+fsync p50', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'write4k_fsync_p99_us', label: 'durability: 4 KiB pwrite+fsync p99', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'write4k_fsync_ops_s', label: 'durability: 4 KiB pwrite+fsync rate', unit: 'ops/s', better: 'higher', part: 'sync' },
  { id: 'append64_fsync_ops_s', label: '64 B append+fsync rate', unit: 'ops/s', better: 'higher', part: 'sync' },
  { id: 'append64_fsync_p50_us', label: '64 B append+fsync p50', unit: 'µs', better: 'lower', part: 'sync' },
  { id: 'create_ops_s', label: 'create (open O_CREAT + close)', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'stat_ops_s', label: 'stat (just created: FUSE caches may answer)', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'stat_cold_ops_s', label: 'stat after 1.2 s (FUSE caches expired)', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'open_close_ops_s', label: 'open + close', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'rename_ops_s', label: 'rename', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'unlink_ops_s', label: 'unlink', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'mkdir_ops_s', label: 'mkdir', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'rmdir_ops_s', label: 'rmdir', unit: 'ops/s', better: 'higher', part: 'meta' },
  { id: 'readdir_ms', label: 'readdir of 10,000 entries', unit: 'ms', better: 'lower', part: 'meta' },
  { id: 'untar_s', label: 'untar tree', unit: 's', better: 'lower', part: 'tree' },
  { id: 'untar_sync_s', label: 'untar tree + syncfs', unit: 's', better: 'lower', part: 'tree' },
  { id: 'retar_s', label: 're-tar tree', unit: 's', better: 'lower', part: 'tree' },
  { id: 'rmrf_s', label: 'rm -rf tree', unit: 's', better: 'lower', part: 'tree' },
];

const BY_ID = new Map(METRICS.map((m) => [m.id, m]));

export function metricById(id: string): MetricDef | undefined {
  return BY_ID.get(id);
}
