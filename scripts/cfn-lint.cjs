// Where cfn-lint (AWS's CloudFormation linter, a Python tool) is: the template tests and
// `npm test` find it the same way. In order: $CFN_LINT (a path), the project's own copy in
// .tools/python (made by scripts/ensure-cfn-lint.cjs), then `cfn-lint` on the PATH.
'use strict';
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = resolve(__dirname, '..');
/** The version the project's own copy is installed at (the one CI and the docs use). */
const CFN_LINT_VERSION = '1.51.0';
const toolsVenv = join(root, '.tools', 'python');
const venvBin = (name) => join(toolsVenv, process.platform === 'win32' ? 'Scripts' : 'bin', name);

function runs(command, args = ['--version']) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? (result.stdout || result.stderr).trim() : undefined;
}

/** The cfn-lint command to run, or undefined when there is none. */
function findCfnLint(env = process.env) {
  if (env.CFN_LINT) return runs(env.CFN_LINT) ? env.CFN_LINT : undefined;
  const own = venvBin('cfn-lint');
  if (existsSync(own) && runs(own)) return own;
  return runs('cfn-lint') ? 'cfn-lint' : undefined;
}

module.exports = { CFN_LINT_VERSION, findCfnLint, runs, toolsVenv, venvBin };
