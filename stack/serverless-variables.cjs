// Resolves `${file(stack/serverless-variables.cjs)}` (serverless.yml's custom.registry): what
// serverless needs from pipelines.yml before it compiles (stack/variables.ts). Validates
// pipelines.yml with the zod schema of lib/registry (functions get the registry validated, not
// the schema), so a bad registry fails `sls package` here, naming the pipeline and the field.
'use strict';
const { deployedRegistry, loadStack } = require('./load.cjs');

module.exports = async ({ resolveVariable }) => {
  // stack/serverless-parts.cjs checks the value: only 'true' deploys the samples.
  const index = deployedRegistry({ samples: String(await resolveVariable('param:samples')) === 'true' });
  const existingBucket = await resolveVariable('param:existingBucketName, ""');
  return loadStack().registryVariables(index, { existingBucket });
};
