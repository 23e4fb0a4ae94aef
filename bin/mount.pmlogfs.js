#!/usr/bin/env node
// Thin launcher for mount.pmlogfs (the mount(8) helper; also /sbin/mount.fuse.pmlogfs): the
// compiled tool lives in dist/.
require('../dist/tools/mount/main.js').main(process.argv.slice(2), 'mount.pmlogfs');
