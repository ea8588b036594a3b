// Separate projects so a developer can run the fast unit suite alone
// (`npm run test:unit`) while `npm test` runs everything CI runs.
const transform = {
  '^.+\\.ya?ml$': '<rootDir>/tests/helpers/yaml-transform.js',
  '^.+\\.(t|j)sx?$': '<rootDir>/tests/helpers/esbuild-transform.js',
};
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'yml'],
  setupFiles: ['<rootDir>/tests/helpers/setup-env.ts'],
  // @middy/core ships only as ES modules: let esbuild turn it into CommonJS like our code.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
};
module.exports = {
  globalSetup: '<rootDir>/tests/helpers/global-setup.js',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/tests/integration/**/*.test.ts'] },
    { ...common, displayName: 'template', testMatch: ['<rootDir>/tests/template/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
