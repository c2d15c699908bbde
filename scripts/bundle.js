#!/usr/bin/env node
// Bundles the compiled CommonJS of the package in the current directory into
// one file per entry point (`exports[...].require.default`).
//
// Why: a cold `require` pays Node's resolve, read and compile for every file,
// about 0.3 ms each; one file per entry point loads our ~40 modules in a few
// milliseconds, which is what a Lambda cold start waits for. Input is tsc's
// output, not src/: tsc already handles `export =` (the Express adapter's 1.x
// shape), which esbuild does not take from TypeScript. Packages stay external
// (our own sibling packages included, so each class exists once per process),
// and so does any import of a package's main entry from a sub-entry (core's
// `testing` uses core's `SessionStore`; bundling it twice would break
// `instanceof`). The `.d.ts` files stay as tsc wrote them.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const entries = Object.values(pkg.exports)
  .filter((e) => typeof e === 'object' && e.require)
  .map((e) => path.resolve(e.require.default));
const mainEntry = path.resolve(pkg.main);

/** Keeps imports that leave a sub-entry's folder pointing at the main entry. */
function mainEntryExternal(entry) {
  const folder = path.dirname(entry);
  return {
    name: 'main-entry-external',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (entry === mainEntry) return undefined;
        const target = path.resolve(args.resolveDir, args.path);
        if (target.startsWith(folder + path.sep)) return undefined;
        const relative = path.relative(folder, mainEntry).split(path.sep).join('/');
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };
}

async function main() {
  const outputs = [];
  for (const entry of entries) {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      packages: 'external',
      write: false,
      outfile: entry,
      logLevel: 'warning',
      plugins: [mainEntryExternal(entry)],
    });
    outputs.push(...result.outputFiles);
  }
  // Every compiled module is now inside an entry's bundle.
  const dist = path.resolve('dist');
  for (const file of fs.readdirSync(dist, { recursive: true })) {
    if (String(file).endsWith('.js')) fs.rmSync(path.join(dist, String(file)));
  }
  for (const output of outputs) fs.writeFileSync(output.path, output.contents);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
