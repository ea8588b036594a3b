// Serverless plugin: completes the compiled template with what stack/ generates (pipeline
// task definitions and roles, queue services, alarms, dashboard: stack/generate.ts). It runs
// once serverless has compiled every function, event, state machine (serverless-step-functions)
// and per-function role, and has merged the resources/ files in, so the generators see the
// whole stack as CloudFormation will, and never read YAML text.
'use strict';
const { deployedRegistry, loadStack } = require('./load.cjs');

class StackPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // Before serverless-iam-roles-per-function names the functions' roles (this plugin is
      // listed before it): a stage that makes those or other names too long fails here, with
      // the names and the longest stage that fits.
      'before:package:finalize': () => this.checkNames(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.generate(),
    };
  }

  checkNames() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const context = { service: service.service, stage: provider.getStage(), region: provider.getRegion() };
    const stack = loadStack();
    // What is compiled so far, the resources/ files (merged into the template only later), and
    // the function roles still to come.
    const view = {
      Resources: {
        ...stack.functionRoleNames(service.getAllFunctions(), context),
        ...(service.resources?.Resources ?? {}),
        ...service.provider.compiledCloudFormationTemplate.Resources,
      },
    };
    this.rethrow(() => stack.checkNameLengths(view, context));
  }

  generate() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const functionNames = Object.fromEntries(service.getAllFunctions().map((name) => [provider.naming.getLambdaLogicalId(name), name]));
    this.rethrow(() =>
      loadStack().generateStack(service.provider.compiledCloudFormationTemplate, {
        service: service.service,
        stage: provider.getStage(),
        region: provider.getRegion(),
        registry: deployedRegistry({ samples: String(service.custom?.stack?.samples) === 'true' }).registry,
        settings: service.custom?.stack,
        functionNames,
      }),
    );
  }

  /** Serverless prints a ServerlessError's message as it is: what the generators say, and no stack trace. */
  rethrow(generate) {
    try {
      generate();
    } catch (error) {
      if (error && error.name === 'StackGenerationError') throw new this.serverless.classes.Error(error.message);
      throw error;
    }
  }
}

module.exports = StackPlugin;
