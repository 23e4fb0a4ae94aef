#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` / `npm run build`).
require('../dist/tools/cli/pmlogfs.js').main(process.argv.slice(2));
