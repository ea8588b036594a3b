// Serverless plugin: `sls invoke local --stage local -f <function>` against the running local
// cloud. `sls invoke local` resolves only plain values and `Ref`s in a function's environment,
// through the AWS API; the local cloud has already resolved every function's environment from
// the packaged template (names of its local tables, stream, state machine, ...) and wrote them,
// with its endpoints, to .local-cloud/endpoints.json. This plugin runs the function with those:
// no second list of names to keep in step with the resources.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class LocalCloudInvokePlugin {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = { initialize: () => this.useLocalCloud() };
  }

  useLocalCloud() {
    const [command, sub] = this.serverless.processedInput?.commands ?? [];
    if (command !== 'invoke' || sub !== 'local') return;
    const stage = this.options.stage ?? this.serverless.service.provider.stage;
    if (stage !== 'local') return;
    const root = this.serverless.serviceDir;
    const file = process.env.LOCAL_CLOUD_ENDPOINTS_FILE ?? path.join(root, '.local-cloud', 'endpoints.json');
    const cloud = readRunningCloud(file);
    if (!cloud) {
      throw new this.serverless.classes.Error(
        `no local cloud is running (${path.relative(root, file)} is missing or stale): start one with "npm run local" in another terminal, then retry`,
      );
    }
    const name = this.options.function;
    const fn = this.serverless.service.getFunction(name);
    const logicalId = this.serverless.getProvider('aws').naming.getLambdaLogicalId(name);
    const environment = cloud.functions?.[logicalId];
    if (!environment) {
      throw new this.serverless.classes.Error(
        `the running local cloud has no function ${logicalId} (${name}): restart it after changing functions/`,
      );
    }
    // Plain values only from here on: the local cloud resolved every intrinsic.
    fn.environment = { ...environment };
    const provider = this.serverless.service.provider;
    provider.environment = Object.fromEntries(Object.entries(provider.environment ?? {}).filter(([, value]) => typeof value !== 'object'));
    // The AWS SDK in the handler finds the local services through these.
    Object.assign(process.env, cloud.environment);
  }
}

function readRunningCloud(file) {
  if (!fs.existsSync(file)) return undefined;
  const cloud = JSON.parse(fs.readFileSync(file, 'utf8'));
  try {
    process.kill(cloud.pid, 0);
  } catch {
    return undefined;
  }
  return cloud;
}

module.exports = LocalCloudInvokePlugin;
