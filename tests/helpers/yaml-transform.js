// Jest transform: a .yml import is its parsed data, as scripts/esbuild-plugins.cjs makes it in bundles.
const { parse } = require('yaml');
const transformCacheKey = require('./transform-cache-key');

module.exports = {
  getCacheKey: transformCacheKey(__filename, require('yaml/package.json').version),
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(parse(sourceText))};` };
  },
};
