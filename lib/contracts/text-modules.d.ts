// YAML files imported as data, parsed at build time: scripts/esbuild-plugins.cjs in bundles,
// tests/helpers/yaml-transform.js in tests.
declare module '*.yml' {
  const data: unknown;
  export default data;
}
