// esbuild plugins shared by every bundle of the project (serverless-esbuild's `plugins`,
// scripts/run-ts.mjs, the local cloud's function bundles, the bundle benchmark).
'use strict';
const fs = require('node:fs');
const { parse } = require('yaml');

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

module.exports = [yamlAsData];
module.exports.yamlAsData = yamlAsData;
