/**
 * What the results were measured on: CPU, cores, memory, kernel, and the versions of every tool
 * in the path (node, fio, libfuse, tar, e2fsprogs, libpmem, the pmlogfs commit).
 * Layer: tools/bench.
 */
import * as fs from 'fs';
import * as os from 'os';
import { tryRun, versionOf } from './sys';
import { MachineInfo } from './types';

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* keep os.cpus()'s answer */
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    hostname: os.hostname(),
  };
}

export function versions(repoRoot: string): Record<string, string> {
  const git = tryRun('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown';
  const dirty = tryRun('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'])?.trim() ? '+dirty' : '';
  return {
    pmlogfs: `${git}${dirty}`,
    node: process.version,
    fio: versionOf('fio', ['--version']),
    libfuse: tryRun('pkg-config', ['--modversion', 'fuse3'])?.trim() ?? 'unknown',
    fusermount3: versionOf('fusermount3', ['--version']),
    libpmem: tryRun('pkg-config', ['--modversion', 'libpmem'])?.trim() ?? 'unknown',
    tar: versionOf('tar', ['--version']),
    e2fsprogs: versionOf('mkfs.ext4', ['-V']),
    cc: versionOf('cc', ['--version']),
  };
}
