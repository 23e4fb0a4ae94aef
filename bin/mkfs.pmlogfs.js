#!/usr/bin/env node
// Thin launcher for mkfs.pmlogfs: the compiled tool lives in dist/.
require('../dist/mkfs/main.js').main(process.argv.slice(2));
