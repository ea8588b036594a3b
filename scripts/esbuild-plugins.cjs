// esbuild plugins shared by every bundle of the project (serverless-esbuild's `plugins`,
// scripts/run-ts.mjs, the local cloud's function bundles, the bundle benchmark).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const esbuild = require('esbuild');
const { parse } = require('yaml');

// The project root: the folder with serverless.yml above this file. Walked up to, not taken as
// `__dirname/..`: scripts/run-ts.mjs bundles this file into local tools (the local cloud bundles
// functions with it) and defines __dirname there as the entry point's folder.
const root = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'serverless.yml'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`esbuild-plugins: no serverless.yml above ${__dirname}`);
  }
})();
const REGISTRY_FILE = /[\\/]pipelines\.ya?ml$/;

let registryModule;

/**
 * lib/registry/parse-registry.ts (and the zod schema it uses), bundled in memory once per
 * process: the same validation `sls package` runs (stack/serverless-variables.cjs).
 */
function loadRegistryModule() {
  if (!registryModule) {
    const result = esbuild.buildSync({
      entryPoints: [path.join(root, 'lib/registry/parse-registry.ts')],
      bundle: true,
      // zod and yaml load from node_modules as they are.
      packages: 'external',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const text = result.outputFiles[0].text;
    const mod = new Module(path.join(root, 'lib/registry/parse-registry.bundle.cjs'));
    mod.paths = Module._nodeModulePaths(root);
    mod._compile(text, mod.id);
    registryModule = { exports: mod.exports, text };
  }
  return registryModule;
}

/**
 * The registry file validated, defaults filled in: what functions ship instead of the schema.
 * Throws the RegistryError naming each pipeline and field at fault.
 */
function validatedRegistry(file, text = fs.readFileSync(file, 'utf8')) {
  return loadRegistryModule().exports.parseRegistry(text, path.relative(root, file) || file);
}

/** Changes whenever validatedRegistry's result could: the bundled validation code itself (test transform cache). */
function registryValidatorSource() {
  return loadRegistryModule().text;
}

/** The registry every function imports (lib/registry/index.ts). */
const PROJECT_REGISTRY = path.join(root, 'pipelines.yml');

/**
 * `import registry from './pipelines.yml'`: the registry validated at build time, so a bad
 * registry fails the build (and `sls package`) and no function bundles zod or the schema.
 * The project's registry comes from `registryFile` (default: PIPELINES_FILE when set), the
 * same file the stack is generated from (stack/load.cjs): functions and stack never disagree.
 */
function registryPlugin(registryFile = () => process.env.PIPELINES_FILE) {
  return {
    name: 'registry-as-data',
    setup(build) {
      build.onLoad({ filter: REGISTRY_FILE }, (args) => {
        const other = path.resolve(args.path) === PROJECT_REGISTRY ? registryFile() : undefined;
        const file = other ? path.resolve(other) : args.path;
        try {
          return { contents: JSON.stringify(validatedRegistry(file)), loader: 'json', watchFiles: [file] };
        } catch (error) {
          return {
            errors: [{ text: error.code === 'ENOENT' ? `${file}: no such file${other ? ' (PIPELINES_FILE)' : ''}` : error.message }],
          };
        }
      });
    },
  };
}

const registryAsData = registryPlugin();

/** `import data from './x.yml'`: the file parsed at build time, so no YAML parser ships. */
const yamlAsData = {
  name: 'yaml-as-data',
  setup(build) {
    build.onLoad({ filter: /\.ya?ml$/ }, (args) => {
      const text = fs.readFileSync(args.path, 'utf8');
      try {
        return { contents: JSON.stringify(parse(text)), loader: 'json' };
      } catch (error) {
        return { errors: [{ text: `${args.path}: not valid YAML: ${error.message}` }] };
      }
    });
  },
};

// Order matters: the first plugin whose onLoad returns contents wins.
module.exports = [registryAsData, yamlAsData];
module.exports.registryAsData = registryAsData;
module.exports.yamlAsData = yamlAsData;
module.exports.REGISTRY_FILE = REGISTRY_FILE;
module.exports.validatedRegistry = validatedRegistry;
module.exports.registryValidatorSource = registryValidatorSource;
/** The plugins with the registry taken from this file (the local cloud's `pipelinesFile`). */
module.exports.withRegistry = (file) => [registryPlugin(() => file), yamlAsData];
