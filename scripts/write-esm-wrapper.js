#!/usr/bin/env node
'use strict';
// Writes dist/index.mjs: an ES module re-exporting the CommonJS build, so
// `import { loadModel } from 'llama-generate'` and `require(...)` share one
// module instance (and one native addon).
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const source = fs.readFileSync(path.join(dist, 'index.js'), 'utf8');
// tsc emits `exports.NAME = ...` / `Object.defineProperty(exports, "NAME", ...)` for each export.
const names = new Set();
for (const m of source.matchAll(/Object\.defineProperty\(exports, "(\w+)"|exports\.(\w+) = /g)) {
  const name = m[1] ?? m[2];
  if (name !== '__esModule') names.add(name);
}
const lines = [
  "import cjs from './index.js';",
  ...[...names].sort().map((name) => `export const ${name} = cjs.${name};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
console.log(`llama-generate: wrote dist/index.mjs (${names.size} exports)`);
