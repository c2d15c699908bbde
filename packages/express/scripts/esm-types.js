#!/usr/bin/env node
// Rewrites dist/index.d.mts after scripts/esm-wrapper.js. This package's
// CommonJS types use `export = factory` (a function merged with a namespace,
// so that `module.exports` is the 1.x factory), and TypeScript refuses
// `export * from` such a module (TS2498). So the ESM types name each export of
// the namespace, value or type, as an alias of the CommonJS one.
const path = require('node:path');
const fs = require('node:fs');
const ts = require('typescript');

const dts = path.resolve('dist/index.d.ts');
const program = ts.createProgram([dts], { module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(dts));
const names = checker
  .getExportsOfModule(moduleSymbol)
  .map((symbol) => symbol.name)
  .filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name))
  .sort();
if (!names.includes('DynamoDBStore')) throw new Error(`esm-types: unexpected exports of ${dts}: ${names.join(', ')}`);

const lines = [
  "import cjs = require('./index.js');",
  'export default cjs;',
  ...names.map((name) => `export import ${name} = cjs.${name};`),
];
fs.writeFileSync('dist/index.d.mts', `${lines.join('\n')}\n`);
