#!/usr/bin/env node
// Makes sure `npm test` has cfn-lint (the template tests lint the packaged template with it).
// Found (see scripts/cfn-lint.cjs): nothing to do. Not found and Python 3 is there: installs the
// pinned version into the project's own virtual environment, .tools/python (git-ignored), which
// needs the Python package index. Otherwise: says what is missing and how to get it, and fails.
'use strict';
const { spawnSync } = require('node:child_process');
const { CFN_LINT_VERSION, findCfnLint, runs, toolsVenv, venvBin } = require('./cfn-lint.cjs');

function fail(message) {
  console.error(`\ncfn-lint is needed by the template tests and ${message}\n`);
  process.exit(1);
}

function main() {
  const found = findCfnLint();
  if (found) return;
  if (process.env.CFN_LINT)
    fail(`CFN_LINT names "${process.env.CFN_LINT}", which does not run (\`${process.env.CFN_LINT} --version\` failed).`);
  const python = ['python3', 'python'].find((name) => runs(name)?.startsWith('Python 3'));
  if (!python) {
    fail(
      `was not found, nor Python 3 to install it with.\nInstall Python 3 (then \`npm test\` installs cfn-lint ${CFN_LINT_VERSION} itself), or \`pip install cfn-lint==${CFN_LINT_VERSION}\`, or set CFN_LINT to its path.`,
    );
  }
  console.log(`cfn-lint not found: installing cfn-lint ${CFN_LINT_VERSION} into .tools/python (once)`);
  const steps = [
    [python, ['-m', 'venv', toolsVenv]],
    [venvBin('python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `cfn-lint==${CFN_LINT_VERSION}`]],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.status !== 0)
      fail(
        `could not be installed: \`${[command, ...args].join(' ')}\` failed (it needs the Python package index). Install it yourself (\`pip install cfn-lint==${CFN_LINT_VERSION}\`) or set CFN_LINT to its path.`,
      );
  }
  if (!findCfnLint()) fail(`was installed into .tools/python but does not run; remove .tools/python and try again.`);
}

main();
