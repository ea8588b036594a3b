// Serverless plugin: completes the compiled template with what stack/ generates (pipeline
// task definitions and roles, queue services, alarms, dashboard: stack/generate.ts). It runs
// once serverless has compiled every function, event, state machine (serverless-step-functions)
// and per-function role, and has merged the resources/ files in, so the generators see the
// whole stack as CloudFormation will, and never read YAML text.
'use strict';
const { deployedRegistry, loadStack } = require('./load.cjs');

class StackPlugin {
  constructor(serverless, _options, utils) {
    this.serverless = serverless;
    this.log = utils?.log ?? { warning: (text) => console.warn(text) };
    this.generated = undefined;
    this.hooks = {
      // Before serverless-iam-roles-per-function names the functions' roles (this plugin is
      // listed before it): a stage that makes those or other names too long fails here, with
      // the names and the longest stage that fits.
      'before:package:finalize': () => this.checkNames(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.generate(),
      'before:deploy:deploy': () => this.refuseUnbuiltImages(),
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
    this.rethrow(() => {
      this.generated = loadStack().generateStack(service.provider.compiledCloudFormationTemplate, {
        service: service.service,
        stage: provider.getStage(),
        region: provider.getRegion(),
        registry: deployedRegistry({ samples: String(service.custom?.stack?.samples) === 'true' }).registry,
        settings: service.custom?.stack,
        functionNames,
      });
    });
    const unbuilt = this.generated.unbuiltImages;
    if (unbuilt.length && !this.generated.firstDeploy) {
      this.log.warning(
        `Task definition${unbuilt.length > 1 ? 's' : ''} ${unbuilt.join(', ')} build${unbuilt.length > 1 ? '' : 's'} its image, and none is built yet: npm run deploy builds, pushes and deploys with its digest.`,
      );
    }
  }

  /**
   * A plain `sls deploy` would point task definitions that build their image at no image (or
   * back from the deployed digest to none): only npm run deploy, which builds first, deploys them.
   */
  refuseUnbuiltImages() {
    const unbuilt = this.generated?.unbuiltImages ?? [];
    if (!unbuilt.length || this.generated.firstDeploy) return;
    const stage = this.serverless.getProvider('aws').getStage();
    throw new this.serverless.classes.Error(
      `pipelines.yml builds the image of ${unbuilt.join(', ')} (task.image.build) and this deploy has no digest for it: deploy with npm run deploy -- --stage ${stage}, which builds and pushes the image first.`,
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
