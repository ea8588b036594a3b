/**
 * The CloudFormation the stack generates, added to the compiled template when serverless has
 * compiled every function, event, state machine and resource file (stack/serverless-plugin.cjs):
 * the queue services, the pipeline schedules, the alarm topic and its queues, then the alarms and the dashboard, which
 * cover every function and dead-letter queue the template holds by then, whoever wrote them.
 * Before anything else, the image repository (stack/images.ts), the pipelines' task
 * definitions and roles (stack/pipeline-tasks.ts) and the capacity they run on
 * (stack/capacity.ts); last, the check that the stage makes no name longer than AWS allows
 * (stack/names.ts).
 */
import * as z from 'zod';
import type { Registry } from '../lib/registry/schema';
import { activityOutputs, activityResources, addActivityStates } from './activities';
import { alarmOutputs, alarmPlumbing, alarmResources, type AlarmSources } from './alarms';
import { capacityResources } from './capacity';
import { eventTriggerResources, grantEventsRedrive } from './event-triggers';
import { dashboardParts } from './dashboard';
import { FIRST_DEPLOY, IMAGE_REPOSITORY_ID, imageParts } from './images';
import { checkNameLengths } from './names';
import { ownerSubscriptions } from './owners';
import { pipelineTaskResources } from './pipeline-tasks';
import { queueServiceResources, stackSharedRefs } from './queue-services';
import { scheduleResources } from './schedules';
import { addOutputs, addResources, deadLetterQueues, resourcesOfType, StackGenerationError, type Template } from './template';

/** The function every pipeline schedule invokes (functions/ingest.yml startPipeline). */
const START_PIPELINE_FUNCTION = 'StartPipelineLambdaFunction';

/** serverless.yml `custom.stack`: the configuration values the generated resources use. */
const SettingsSchema = z.object({
  containerImage: z.string().min(1, 'the queue services need an image'),
  subnetIds: z.string(),
  assignPublicIp: z.enum(['ENABLED', 'DISABLED']),
  logRetentionDays: z.coerce.number().int().positive(),
  // Stage parameters that size what the stack costs (README "What it costs"), checked here so a
  // typo fails `sls package` naming the parameter, not a deploy half-way.
  samples: z.enum(['true', 'false'], { error: 'param samples must be true or false' }),
  streamMode: z.enum(['PROVISIONED', 'ON_DEMAND'], { error: 'param streamMode must be PROVISIONED or ON_DEMAND' }),
  streamShards: z.coerce.number().int('param streamShards must be a whole number').min(1, 'param streamShards must be at least 1'),
  containerInsights: z.enum(['disabled', 'enabled', 'enhanced'], {
    error: 'param containerInsights must be disabled, enabled or enhanced',
  }),
  alarmSet: z.enum(['essential', 'full'], { error: 'param alarmSet must be essential or full' }),
  /** '' when the stack creates its uploads bucket. */
  existingBucketName: z.string(),
  /** Digests of the built images (`<task definition>=sha256:…,…`), passed by npm run deploy. */
  images: z.string().default(''),
  /** Stage-specific environment of pipeline containers, by task definition name. */
  taskEnvironment: z
    .record(z.string(), z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'environment names are UPPER_SNAKE_CASE'), z.coerce.string()))
    .default({}),
});

export interface StackInputs {
  service: string;
  stage: string;
  /** The region being packaged for: names that include it are checked against their limits. */
  region: string;
  registry: Registry;
  /** serverless.yml `custom.stack`, as serverless resolved it. */
  settings: unknown;
  /** Function names as serverless.yml declares them, by logical id (alarm names use them). */
  functionNames: Record<string, string>;
}

function parseSettings(settings: unknown) {
  const result = SettingsSchema.safeParse(settings ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      // A record key failed its own rule: say which.
      const message = issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : issue.message;
      return `custom.stack${issue.path.map((key) => `.${String(key)}`).join('')}: ${message}`;
    });
    throw new StackGenerationError(`serverless.yml is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  return result.data;
}

export interface GeneratedStack {
  /** Task definitions whose image the stack builds but that have no digest yet. */
  unbuiltImages: string[];
  /** The images param said this deploy creates the repository before any image is built. */
  firstDeploy: boolean;
}

/** Adds the generated resources and outputs to the compiled template (in place). */
export function generateStack(template: Template, inputs: StackInputs): GeneratedStack {
  const settings = parseSettings(inputs.settings);
  const images = imageParts(inputs.registry, inputs, settings.images);
  addResources(template, images.resources, 'stack/images.ts');
  addOutputs(template, images.outputs, 'stack/images.ts');
  const pipelineTasks = pipelineTaskResources(template, {
    service: inputs.service,
    stage: inputs.stage,
    registry: inputs.registry,
    settings,
    imageOf: images.imageOf,
    builtImageRepositoryArn: { 'Fn::GetAtt': [IMAGE_REPOSITORY_ID, 'Arn'] },
  });
  addResources(template, pipelineTasks, 'stack/pipeline-tasks.ts');
  addResources(template, ownerSubscriptions(template, inputs.registry), 'stack/owners.ts');
  addResources(
    template,
    capacityResources(template, { service: inputs.service, stage: inputs.stage, ec2: inputs.registry.capacity?.ec2, settings }),
    'stack/capacity.ts',
  );
  // Activity pipelines: their activities, workers' services and scaling, and their states.
  const shared = stackSharedRefs(settings);
  addResources(
    template,
    activityResources({
      registry: inputs.registry,
      subnets: shared.subnets,
      securityGroups: shared.securityGroups,
      assignPublicIp: shared.assignPublicIp,
    }),
    'stack/activities.ts',
  );
  addOutputs(template, activityOutputs(inputs.registry), 'stack/activities.ts');
  addActivityStates(template, inputs.registry);
  const queueServices = queueServiceResources(inputs.registry.queueServices, shared);
  addResources(template, queueServices.resources, 'stack/queue-services.ts');
  addOutputs(template, queueServices.outputs, 'stack/queue-services.ts');
  // The pipelines' EventBridge Scheduler schedules invoke startPipeline.
  const schedules = scheduleResources(inputs.registry, {
    service: inputs.service,
    stage: inputs.stage,
    targetFunction: START_PIPELINE_FUNCTION,
  });
  if (Object.keys(schedules).length && template.Resources[START_PIPELINE_FUNCTION]?.Type !== 'AWS::Lambda::Function') {
    throw new StackGenerationError(
      `pipelines.yml declares schedules, but the template has no function ${START_PIPELINE_FUNCTION} for them to invoke (functions/ingest.yml startPipeline)`,
    );
  }
  addResources(template, schedules, 'stack/schedules.ts');
  // Events and queue triggers: rules, buses, the pipelines' queues, their dead-letter queues.
  addResources(
    template,
    eventTriggerResources(template, inputs.registry, { service: inputs.service, stage: inputs.stage }),
    'stack/event-triggers.ts',
  );
  grantEventsRedrive(template, inputs.registry);
  addResources(template, alarmPlumbing(inputs), 'stack/alarms.ts');
  addOutputs(template, alarmOutputs(), 'stack/alarms.ts');

  // Everything that can fail or park messages is in the template now.
  const sources: AlarmSources = {
    stack: `${inputs.service}-${inputs.stage}`,
    service: inputs.service,
    stage: inputs.stage,
    registry: inputs.registry,
    functions: resourcesOfType(template, 'AWS::Lambda::Function').map((logicalId) => ({
      logicalId,
      name: inputs.functionNames[logicalId] ?? logicalId,
    })),
    deadLetterQueues: deadLetterQueues(template),
    alarmSet: settings.alarmSet,
  };
  addResources(template, alarmResources(sources), 'stack/alarms.ts');
  const dashboard = dashboardParts(sources);
  addResources(template, dashboard.resources, 'stack/dashboard.ts');
  addOutputs(template, dashboard.outputs, 'stack/dashboard.ts');
  // Last: every name the template will create is in it now.
  checkNameLengths(template, inputs);
  return { unbuiltImages: images.unbuilt, firstDeploy: settings.images.trim() === FIRST_DEPLOY };
}
