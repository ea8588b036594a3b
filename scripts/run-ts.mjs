#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, local tools): bundles it with esbuild, the
// same bundler the functions deploy with, then runs it with the remaining arguments.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const esbuildPlugins = createRequire(import.meta.url)('./esbuild-plugins.cjs');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
// Inside the project so the bundle resolves the project's node_modules.
const cache = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules/.cache/run-ts');
mkdirSync(cache, { recursive: true });
const outfile = join(mkdtempSync(join(cache, 'run-')), 'main.cjs');
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  packages: 'external',
  plugins: esbuildPlugins,
  logLevel: 'warning',
  define: { __dirname: JSON.stringify(resolve(entry, '..')), __filename: JSON.stringify(resolve(entry)) },
});
const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
