/**
 * Loads an ESM-only package (@middy/core) as CommonJS for Jest, by compiling its real
 * source with swc. Needed while jest.config.js leaves node_modules untransformed; with
 * `transformIgnorePatterns: ['/node_modules/(?!@middy/)']` there this shim can go.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from '@swc/core';

export function requireEsm(name: string): unknown {
  const path = require.resolve(name);
  const { code } = transformSync(readFileSync(path, 'utf8'), {
    filename: path,
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } },
  });
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  return module.exports;
}
