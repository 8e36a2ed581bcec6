'use strict';
// Start-up bundles, built after `tsc -b`. Every traced process loads
// @tracewire/core and the preload before the app's first line; as ~40 files
// that is ~40 path resolutions, package.json lookups and compilations (half of
// what `node -r @tracewire/register -e 0` added to `node -e 0`). Bundled:
//
//   packages/core/dist/core.js         all of core in one file (core's "main").
//                                      Exporters and propagators stay lazy: a
//                                      bundled module runs on its first require.
//   packages/register/dist/bundle.js   the preload and each instrumentation's
//                                      light definition file. Their patch code is
//                                      left out: it loads, from its own package,
//                                      when the app loads what it patches.
//   packages/register/dist/preload.js  the entry (main.ts + compile-cache.ts): loads
//                                      the two bundles above with V8's code cache.
//
// The tsc output stays next to the bundles (types, tests, the packages' own
// imports). A definition can thus exist twice, bundled and as its file: core
// treats definitions of the same name and version as one (hook.ts).
const path = require('node:path');
const esbuild = require('esbuild');

const PACKAGES = path.join(__dirname, '..', 'packages');
// What the preload bundle may inline from an instrumentation package: the definition and what it needs at start.
const LIGHT = /^packages\/([a-z-]+)\/dist\/(definition|version)\.js$|^packages\/([a-z-]+)\/package\.json$/;

/** Keeps the preload bundle light: core and anything a definition loads lazily are required at run time, by package path. */
const preloadPlugin = {
  name: 'tracewire-preload',
  setup(build) {
    build.onResolve({ filter: /^@tracewire\/core$/ }, () => ({ path: '@tracewire/core', external: true }));
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const from = path.relative(path.join(PACKAGES, '..'), args.importer).split(path.sep).join('/');
      const owner = /^packages\/([a-z-]+)\/dist\//.exec(from);
      if (owner === null || owner[1] === 'register') return undefined;
      const target = path.relative(path.join(PACKAGES, '..'), path.resolve(path.dirname(args.importer), args.path)).split(path.sep).join('/');
      if (LIGHT.test(target) || LIGHT.test(`${target}.js`)) return undefined;
      const inPackage = new RegExp(`^packages/${owner[1]}/(.+)$`).exec(target);
      if (inPackage === null) throw new Error(`${from} requires ${args.path}, outside its package`);
      return { path: `@tracewire/${owner[1]}/${inPackage[1]}`, external: true };
    });
  },
};

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', legalComments: 'none' };

async function main() {
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [path.join(PACKAGES, 'core/dist/index.js')],
      outfile: path.join(PACKAGES, 'core/dist/core.js'),
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(PACKAGES, 'register/dist/index.js')],
      outfile: path.join(PACKAGES, 'register/dist/bundle.js'),
      plugins: [preloadPlugin],
    }),
    // The entry: loads the two bundles above through V8's code cache (compile-cache.ts).
    esbuild.build({
      ...common,
      entryPoints: [path.join(PACKAGES, 'register/dist/main.js')],
      outfile: path.join(PACKAGES, 'register/dist/preload.js'),
      external: ['@tracewire/core'],
    }),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
