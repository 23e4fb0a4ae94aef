// Goal: -o parsing accepts what pmlogfs, mount(8), mount.fuse3 and fstab pass, refuses anything
// else by name, and builds the libfuse option string (default_permissions always, allow_other by
// default for root only, fsname escaped, kernel flags passed through).
// Method: pure calls of parseMountOptions / fuseOptionString with literal expectations.
import { describe, expect, it } from 'vitest';
import { fuseOptionString, MountOptionError, parseMountOptions } from '../../src/fuse/options';

describe('mount options', () => {
  it('defaults: read-write, 1 s timeouts, 1 MiB writes, relatime; allow_other only for root', () => {
    const root = parseMountOptions([], true);
    expect(root).toMatchObject({ readOnly: false, allowOther: true, entryTimeoutS: 1, attrTimeoutS: 1, maxWriteBytes: 1 << 20, atime: 'relatime', writebackCache: false, forcePmem: false });
    expect(parseMountOptions([], false).allowOther).toBe(false);
    expect(fuseOptionString(root, '/dev/dax0.0')).toBe('default_permissions,fsname=/dev/dax0.0,subtype=pmlogfs,allow_other');
  });

  it('pmlogfs options, kernel flags, later lists win', () => {
    const s = parseMountOptions(['ro,noatime,nosuid,nodev,entry_timeout=2.5,attr_timeout=0', 'max_write=128k,writeback_cache,fsname=pm,log=/tmp/x.log,rw,spin_us=0'], true);
    expect(s).toMatchObject({ spinMicros: 0, readOnly: false, atime: 'noatime', entryTimeoutS: 2.5, attrTimeoutS: 0, maxWriteBytes: 131072, writebackCache: true, fsname: 'pm', logFile: '/tmp/x.log' });
    expect(fuseOptionString(s, '/img')).toBe('default_permissions,fsname=pm,subtype=pmlogfs,allow_other,noatime,nosuid,nodev');
    expect(fuseOptionString(parseMountOptions(['ro,noallow_other'], true), '/a,b')).toBe('default_permissions,fsname=/a\\,b,subtype=pmlogfs,ro');
  });

  it('inline=on|off reaches the settings (the core default when absent)', () => {
    expect(parseMountOptions([], true).inline).toBeUndefined();
    expect(parseMountOptions(['inline=off'], true).inline).toBe(false);
    expect(parseMountOptions(['inline=off', 'inline=on'], true).inline).toBe(true);
  });

  it('what mount(8), mount.fuse3 and fstab add is accepted and ignored', () => {
    expect(() => parseMountOptions(['defaults,auto,noauto,user,nofail,_netdev,x-systemd.automount,comment=x,subtype=pmlogfs,relatime,rw'], true)).not.toThrow();
  });

  it('anything else is refused by name', () => {
    for (const [opt, msg] of [
      ['bogus', /unknown mount option 'bogus'/],
      ['entry_timeout=soon', /entry_timeout.*seconds/],
      ['max_write=2M', /max_write.*4096\.\.1048576/],
      ['ro=1', /'ro' takes no value/],
      ['subtype=ext4', /subtype.*must be pmlogfs/],
      ['log=', /'log' needs a file name/],
      ['spin_us=-1', /spin_us.*0\.\.10000/],
      ['inline', /'inline' needs on or off/],
      ['inline=no', /'inline' needs on or off/],
    ] as const) {
      expect(() => parseMountOptions([opt], true)).toThrow(MountOptionError);
      expect(() => parseMountOptions([opt], true)).toThrow(msg);
    }
  });
});
