// Jest transform: a .yml import is its text, as esbuild's text loader makes it in the bundle.
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)}; module.exports.default = module.exports;` };
  },
};
