// Jest transform: a .yml import is its parsed data, as scripts/esbuild-plugins.cjs makes it in bundles.
const { parse } = require('yaml');

const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

// Jest's cache must change when this transform does, not only when the source does.
const self = readFileSync(__filename, 'utf8') + require('yaml/package.json').version;

module.exports = {
  getCacheKey(sourceText, sourcePath, options) {
    return createHash('sha256')
      .update(self)
      .update('\0')
      .update(options?.configString ?? '')
      .update('\0')
      .update(sourcePath)
      .update('\0')
      .update(sourceText)
      .digest('hex');
  },
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(parse(sourceText))};` };
  },
};
