#!/usr/bin/env node
// Thin launcher for fsck.pmlogfs (fsck(8) helper): the compiled tool lives in dist/.
require('../dist/tools/fsck/main.js').main(process.argv.slice(2), 'fsck.pmlogfs');
