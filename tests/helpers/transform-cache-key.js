// Jest's cache must change when a transform does, not only when the source does: the key
// covers the transform's own source, what it depends on, jest's config, the path and the text.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

module.exports = function transformCacheKey(transformFile, dependencyVersion) {
  const self = readFileSync(transformFile, 'utf8') + dependencyVersion;
  return (sourceText, sourcePath, options) =>
    createHash('sha256')
      .update(self)
      .update('\0')
      .update(options?.configString ?? '')
      .update('\0')
      .update(sourcePath)
      .update('\0')
      .update(sourceText)
      .digest('hex');
};
