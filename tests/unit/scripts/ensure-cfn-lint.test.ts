/**
 * `npm test` makes sure cfn-lint is there before the template tests need it: a copy that
 * runs is used as it is; with neither cfn-lint nor Python 3 it fails, saying what is missing
 * and how to get it. Run as a process with a PATH made for each case.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(__dirname, '../../../scripts/ensure-cfn-lint.cjs');
let bin: string;

beforeEach(() => {
  // A PATH holding node only: no cfn-lint, no python.
  bin = mkdtempSync(join(tmpdir(), 'ensure-cfn-lint-'));
  symlinkSync(process.execPath, join(bin, 'node'));
});
afterEach(() => rmSync(bin, { recursive: true, force: true }));

const ensure = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [script], { encoding: 'utf8', env: { PATH: bin, HOME: bin, ...env } });

function fakeCfnLint(name: string, exitCode: number): string {
  const path = join(bin, name);
  writeFileSync(path, `#!/bin/sh\necho "cfn-lint 1.51.0"\nexit ${exitCode}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('ensure-cfn-lint', () => {
  it('uses a cfn-lint found on the PATH and installs nothing', () => {
    fakeCfnLint('cfn-lint', 0);

    const result = ensure({});

    expect(result.status).toBe(0);
    expect(result.stdout).not.toMatch(/installing/);
  });

  it('uses the one CFN_LINT names', () => {
    const path = fakeCfnLint('my-cfn-lint', 0);

    expect(ensure({ CFN_LINT: path }).status).toBe(0);
  });

  it('fails naming what is missing when neither cfn-lint nor Python 3 is there', () => {
    const result = ensure({});

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cfn-lint is needed by the template tests and was not found, nor Python 3/);
    expect(result.stderr).toMatch(/pip install cfn-lint==1\.51\.0/);
  });

  it('does not take a CFN_LINT that does not run', () => {
    const path = fakeCfnLint('broken-cfn-lint', 3);

    const result = ensure({ CFN_LINT: path });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/CFN_LINT names ".*broken-cfn-lint", which does not run/);
  });
});
