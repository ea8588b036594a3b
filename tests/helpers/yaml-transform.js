// Jest transform: a .yml import is its parsed data, as scripts/esbuild-plugins.cjs makes it in
// bundles; the pipeline registry is its validated data (defaults filled in), as functions ship it.
const { parse } = require('yaml');
const { REGISTRY_FILE, registryValidatorSource, validatedRegistry } = require('../../scripts/esbuild-plugins.cjs');
const transformCacheKey = require('./transform-cache-key');

const baseKey = transformCacheKey(__filename, require('yaml/package.json').version);

module.exports = {
  // The registry's data also depends on the validation code (schema, defaults): it is in the key.
  getCacheKey: (sourceText, sourcePath, options) =>
    baseKey(REGISTRY_FILE.test(sourcePath) ? `${sourceText}\0${registryValidatorSource()}` : sourceText, sourcePath, options),
  process(sourceText, sourcePath) {
    const data = REGISTRY_FILE.test(sourcePath) ? validatedRegistry(sourcePath, sourceText) : parse(sourceText);
    return { code: `module.exports = ${JSON.stringify(data)};` };
  },
};
