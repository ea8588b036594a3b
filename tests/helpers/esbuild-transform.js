// Jest transform: TypeScript to CommonJS with esbuild, the bundler the functions deploy with.
// (No type checking here: `npm test` runs tsc first.)
const { transformSync } = require('esbuild');
const transformCacheKey = require('./transform-cache-key');

module.exports = {
  getCacheKey: transformCacheKey(__filename, require('esbuild/package.json').version),
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
