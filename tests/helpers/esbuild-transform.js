// Jest transform: TypeScript to CommonJS with esbuild, the bundler the functions deploy with.
// (No type checking here: `npm test` runs tsc first.)
const { transformSync } = require('esbuild');

const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

// Jest's cache must change when this transform does, not only when the source does.
const self = readFileSync(__filename, 'utf8') + require('esbuild/package.json').version;

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
  process(sourceText, sourcePath) {
    const { code, map } = transformSync(sourceText, {
      loader: sourcePath.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: sourcePath,
    });
    return { code, map };
  },
};
