// Lets a plain `node` child (the fuzz pool's worker, started by test/fuzz) require the project's
// TypeScript sources directly: each .ts file is transpiled with TypeScript's transpileModule
// (CommonJS, ES2022, no type check) as it is required. Tests only; `npm run fuzz` uses dist/.
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTs(module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, inlineSourceMap: true },
  });
  module._compile(out.outputText, filename);
};
