// Resolves `${file(stack/serverless-parts.cjs):<part>}`: which file each optional part of the
// stack comes from, by stage parameter (README "What it costs"). A part that is off is
// `none.yml` (nothing), so its functions and resources are not compiled at all and nothing
// generated from the template (alarms, dashboard) sees them.
//   notifier      param notifier (true|false): the ECS service task notifier's functions,
//                 queues, audit table, signing secret and the Secrets Manager endpoint.
//   queueServices whether the registry deploys any queue service (param samples decides the
//                 sample ones): the target updater and the load producer functions.
//   eventTriggers / queueTriggers  whether any pipeline has trigger.events / trigger.queue:
//                 startFromEvent / startFromQueue (their rules, queues and mappings: stack/event-triggers.ts).
'use strict';
const { deployedRegistry } = require('./load.cjs');

async function flag(resolveVariable, name) {
  const value = String(await resolveVariable(`param:${name}`));
  if (value !== 'true' && value !== 'false')
    throw new Error(`param ${name} must be true or false, not "${value}" (serverless.yml params, or --param "${name}=true")`);
  return value === 'true';
}

module.exports = async ({ resolveVariable }) => {
  const notifier = await flag(resolveVariable, 'notifier');
  const samples = await flag(resolveVariable, 'samples');
  const { registry } = deployedRegistry({ samples });
  const queueServices = Object.keys(registry.queueServices ?? {}).length > 0;
  const triggers = Object.values(registry.pipelines).map((pipeline) => pipeline.trigger ?? {});
  return {
    notifierFunctions: notifier ? 'notifier.yml' : 'none.yml',
    notifierResources: notifier ? 'notifier.yml' : 'none.yml',
    queueServiceFunctions: queueServices ? 'queue-services.yml' : 'none.yml',
    eventTriggerFunctions: triggers.some((trigger) => trigger.events) ? 'event-triggers.yml' : 'none.yml',
    queueTriggerFunctions: triggers.some((trigger) => trigger.queue) ? 'queue-triggers.yml' : 'none.yml',
  };
};
