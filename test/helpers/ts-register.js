'use strict';
// Lets tests `require` the TypeScript sources (src/**/*.ts) directly, so a unit run needs no build. Mocha loads this
// first (.mocharc.yml). It only transpiles, with the build's own compiler options (tsconfig.json) so the code runs as
// it ships; `npm run typecheck` (test/tsconfig.json) checks the types.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const configFile = path.join(__dirname, '..', '..', 'tsconfig.json');
const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, path.dirname(configFile));
/** @type {ts.CompilerOptions} */
const OPTIONS = { ...options, sourceMap: false, inlineSourceMap: true, inlineSources: true };

/** @param {NodeJS.Module & { _compile(code: string, file: string): void }} module @param {string} file */
function compileTs(module, file) {
    const source = fs.readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: OPTIONS, fileName: file });
    module._compile(outputText, file);
}

// Stack traces point into the .ts files. Node 22.18+ strips types by itself but refuses what only a compiler handles (parameter properties, enums).
process.setSourceMapsEnabled(true);
require.extensions['.ts'] = /** @type {NodeJS.RequireExtensions['.js']} */ (compileTs);
