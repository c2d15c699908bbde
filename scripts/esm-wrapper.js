#!/usr/bin/env node
// Writes the ESM entry points of the package in the current directory.
//
// Each package is compiled once, to CommonJS. Its ESM entry (`index.mjs`) is a
// thin wrapper that re-exports the CommonJS module, so `import` and `require`
// share one copy of the code: one set of classes, so `instanceof` on our errors
// works whichever way the app loads us (no dual-package hazard).
const fs = require('node:fs');
const path = require('node:path');

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const entries = Object.values(pkg.exports)
  .filter((e) => typeof e === 'object' && e.require)
  .map((e) => ({ cjs: e.require.default, mjs: e.import.default, dmts: e.import.types, dts: e.require.types }));

for (const { cjs, mjs, dmts, dts } of entries) {
  const mod = require(path.resolve(cjs));
  const names = Object.keys(mod).filter((n) => n !== 'default' && n !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(n));
  const rel = `./${path.basename(cjs)}`;
  const lines = [`import cjs from '${rel}';`, 'export default cjs;'];
  if (names.length) lines.push(`export const { ${names.join(', ')} } = cjs;`);
  fs.writeFileSync(mjs, `${lines.join('\n')}\n`);

  const dtsRel = `./${path.basename(dts).replace(/\.d\.ts$/, '.js')}`;
  const source = fs.readFileSync(dts, 'utf8');
  const hasExportAssignment = /^export = /m.test(source);
  const types = hasExportAssignment
    ? [`import cjs = require('${dtsRel}');`, 'export default cjs;', `export * from '${dtsRel}';`]
    : [`export * from '${dtsRel}';`];
  fs.writeFileSync(dmts, `${types.join('\n')}\n`);
}
