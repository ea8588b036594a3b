// Loads stack/index.ts inside `sls package`: bundled in memory by esbuild (no build step),
// once per process, shared by the variable resolver and the plugin of this folder.
'use strict';
const path = require('node:path');
const Module = require('node:module');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
let stack;
const registries = new Map();

/** stack/index.ts's exports. */
function loadStack() {
  if (stack) return stack;
  const entry = path.join(__dirname, 'index.ts');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    // Dependencies load from node_modules as they are.
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const mod = new Module(`${entry}.bundle.cjs`);
  mod.paths = Module._nodeModulePaths(root);
  mod._compile(result.outputFiles[0].text, mod.id);
  stack = mod.exports;
  return stack;
}

/**
 * The registry (PIPELINES_FILE, or pipelines.yml), validated once per process. Serverless
 * prints the message of what a resolver or hook throws: a bad registry names pipeline and field.
 */
function loadRegistry(file = process.env.PIPELINES_FILE || path.join(root, 'pipelines.yml')) {
  if (!registries.has(file)) {
    try {
      registries.set(file, loadStack().loadRegistry(file, root));
    } catch (error) {
      if (error && error.name === 'RegistryError') throw new Error(error.message);
      throw error;
    }
  }
  return registries.get(file);
}

/** The registry as this stage deploys it: sample entries only with param samples true (stack/samples.ts). */
function deployedRegistry({ samples }, file) {
  return loadStack().deployedIndex(loadRegistry(file), { samples });
}

module.exports = { loadStack, loadRegistry, deployedRegistry };
