// Serverless plugin: drops the framework's shared Lambda role when no function uses it.
// Every function here has its own role (serverless-iam-roles-per-function), but the
// framework still compiles the shared one, with log, queue and stream permissions of all
// functions together; an unused role with those rights is surface for nothing.
'use strict';

const ROLE = 'IamRoleLambdaExecution';

class PruneDefaultRolePlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.prune() };
  }

  prune() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    if (!template.Resources?.[ROLE]) return;
    const { [ROLE]: role, ...rest } = template.Resources;
    const referenced = JSON.stringify({ rest, outputs: template.Outputs ?? {} }).includes(`"${ROLE}"`);
    if (!referenced) delete template.Resources[ROLE];
  }
}

module.exports = PruneDefaultRolePlugin;
