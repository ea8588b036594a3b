// Serverless plugin: completes the compiled template with what stack/ generates (queue
// services, alarms, dashboard: stack/generate.ts). It runs once serverless has compiled every
// function, event, state machine (serverless-step-functions) and per-function role, and has
// merged the resources/ files in, so the generators see the whole stack as CloudFormation
// will, and never read YAML text.
'use strict';
const { deployedRegistry, loadStack } = require('./load.cjs');

class StackPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.generate() };
  }

  generate() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const functionNames = Object.fromEntries(service.getAllFunctions().map((name) => [provider.naming.getLambdaLogicalId(name), name]));
    try {
      loadStack().generateStack(service.provider.compiledCloudFormationTemplate, {
        service: service.service,
        stage: provider.getStage(),
        registry: deployedRegistry({ samples: String(service.custom?.stack?.samples) === 'true' }).registry,
        settings: service.custom?.stack,
        functionNames,
      });
    } catch (error) {
      if (error && error.name === 'StackGenerationError') throw new this.serverless.classes.Error(error.message);
      throw error;
    }
  }
}

module.exports = StackPlugin;
