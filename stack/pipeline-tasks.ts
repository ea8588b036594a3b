/**
 * The ECS side of every pipeline, generated from its registry entry (pipelines.yml `task:`),
 * so adding a pipeline is a registry edit: per task definition (the pipeline's own, or one
 * that several pipelines name in task.taskDefinition),
 *   - the task definition: image, architecture, cpu and memory (the largest of its
 *     pipelines; each run overrides them with its own), storage, the container's `Secrets`
 *     (never `Environment`), logs under the stream prefix of the task definition's name;
 *   - its task role: read the trigger's objects, write its staging and rejects prefixes, read
 *     the object list pointer, call back (callback pipelines only), and its pipelines' own
 *     `policies`, nothing of any other task definition's pipelines;
 *   - its execution role: pull its image (its repository only), write its log streams, read
 *     exactly the secrets it lists (and decrypt with the keys given for them);
 * and for the state machine a policy to run exactly these families in this stack's cluster
 * and pass exactly these roles, to ECS tasks only.
 *
 * Pipelines that share a task definition share its container, so they share its roles too
 * (the registry makes them agree on image, secrets and the rest): give a pipeline a task
 * definition of its own to keep its rights to itself.
 */
import {
  ecrRepositoryOf,
  isBuiltImage,
  secretKmsKey,
  secretSource,
  secretValueFrom,
  type PolicyStatement,
  type TaskImage,
} from '../lib/registry/container';
import { taskDefinitionOf, type Pipeline, type Registry } from '../lib/registry/schema';
import { fileTriggerOf } from '../lib/registry/pipeline-index';
import { StackGenerationError, type Cfn, type Template } from './template';

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });
const sub = (text: string): Cfn => ({ 'Fn::Sub': text });

const pascal = (text: string): string => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** What the generated resources refer to in the rest of the template (resources/*.yml). */
export const CLUSTER_ID = 'PipelineCluster';
export const TASK_LOG_GROUP_ID = 'PipelineTaskLogGroup';
export const RUNS_TABLE_ID = 'RunsTable';
export const STATE_MACHINE_ROLE_ID = 'PipelineStateMachineRole';
export const LAUNCH_POLICY_ID = 'PipelineTaskLaunchPolicy';

/** Logical ids of one task definition's resources. */
export const taskResourceIds = (taskDefinition: string) => {
  const id = `Pipeline${pascal(taskDefinition)}`;
  return { taskDefinition: `${id}TaskDefinition`, taskRole: `${id}TaskRole`, executionRole: `${id}ExecutionRole` };
};

/** Logical ids of an activity pipeline's activity, workers' service and scaling (stack/activities.ts). */
export const activityIds = (pipeline: string) => {
  const id = `Pipeline${pascal(pipeline)}`;
  return {
    activity: `${id}Activity`,
    service: `${id}WorkerService`,
    scalableTarget: `${id}WorkerScalableTarget`,
    scaleOutPolicy: `${id}WorkerScaleOutPolicy`,
    scaleInPolicy: `${id}WorkerScaleInPolicy`,
    waitingAlarm: `${id}ActivityWaitingAlarm`,
    idleAlarm: `${id}ActivityIdleAlarm`,
  };
};

/** The settings the generated task definitions take from serverless.yml `custom.stack`. */
export interface PipelineTaskSettings {
  /** param existingBucketName: '' when the stack owns its uploads bucket. */
  existingBucketName: string;
  /** Stage-specific container environment, by task definition name (custom.stack.taskEnvironment). */
  taskEnvironment: Record<string, Record<string, string>>;
}

export interface PipelineTaskInputs {
  service: string;
  stage: string;
  registry: Registry;
  settings: PipelineTaskSettings;
  /** The image reference a task definition runs (URIs as given; builds from stack/images.ts). */
  imageOf: (taskDefinition: string, image: TaskImage) => unknown;
  /** What may pull a built image: the stack's repository ARN (stack/images.ts). */
  builtImageRepositoryArn: Cfn;
}

/** A task definition and the pipelines that run it, in registry order. */
export interface TaskDefinitionGroup {
  name: string;
  family: string;
  pipelines: Array<[string, Pipeline]>;
}

export function taskDefinitionGroups(registry: Registry, service: string, stage: string): TaskDefinitionGroup[] {
  const groups = new Map<string, TaskDefinitionGroup>();
  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    const definition = taskDefinitionOf(name, pipeline);
    const group = groups.get(definition) ?? { name: definition, family: `${service}-${stage}-${definition}`, pipelines: [] };
    group.pipelines.push([name, pipeline]);
    groups.set(definition, group);
  }
  return [...groups.values()];
}

const trustEcsTasks = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
    },
  ],
};

/** The uploads bucket's name: the stack's own, or the existing one the stage names. */
const stackBucket = (settings: PipelineTaskSettings): Cfn => ({
  'Fn::If': ['CreateUploadsBucket', sub('${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}'), settings.existingBucketName],
});

const objectsUnder = (bucket: unknown, prefix: string): Cfn => ({
  'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${prefix}*`, { Bucket: bucket }],
});

/** A pipeline's literal prefixes: the trigger's prefix, or each pattern's text before its first capture or `*`. */
const triggerPrefixes = (pipeline: Pipeline): string[] => {
  const trigger = fileTriggerOf(pipeline);
  if (!trigger) return [];
  return [
    ...new Set(trigger.prefix !== undefined ? [trigger.prefix] : Object.values(trigger.files).map((pattern) => pattern.split(/[{*]/)[0]!)),
  ];
};

/**
 * A registry string as CloudFormation: `${AWS::Partition}`, `${AWS::Region}`,
 * `${AWS::AccountId}` (and the other pseudo parameters) are substituted; any other `${...}`
 * (an IAM policy variable such as `${aws:userid}`) stays as written.
 */
function withPseudoParameters(value: string): unknown {
  if (!value.includes('${AWS::')) return value;
  return sub(value.replace(/\$\{(?!AWS::)/g, '${!'));
}

function policyStatement(statement: PolicyStatement): Cfn {
  const strings = (value: string | string[]) => (Array.isArray(value) ? value.map(withPseudoParameters) : withPseudoParameters(value));
  return {
    ...(statement.Sid ? { Sid: statement.Sid } : {}),
    Effect: statement.Effect,
    Action: statement.Action,
    Resource: strings(statement.Resource),
    ...(statement.Condition
      ? {
          Condition: Object.fromEntries(
            Object.entries(statement.Condition).map(([operator, keys]) => [
              operator,
              Object.fromEntries(
                Object.entries(keys).map(([key, value]) => [
                  key,
                  typeof value === 'string'
                    ? withPseudoParameters(value)
                    : Array.isArray(value)
                      ? value.map((v) => (typeof v === 'string' ? withPseudoParameters(v) : v))
                      : value,
                ]),
              ),
            ]),
          ),
        }
      : {}),
  };
}

/**
 * A secret as ECS reads it (`ValueFrom`: the full ARN, so nothing depends on how ECS resolves
 * a bare name) and as IAM grants it.
 */
export function secretGrant(reference: string): { valueFrom: unknown; service: 'secretsmanager' | 'ssm'; resources: unknown[] } {
  const source = secretSource(reference);
  if (!source)
    throw new StackGenerationError(
      `secret "${reference}" is neither an ARN nor an SSM parameter name (the registry should have refused it)`,
    );
  if (source.service === 'secretsmanager') {
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key:version-stage:version-id]
    const secretArn = source.arn.split(':').slice(0, 7).join(':');
    // A partial ARN (no random suffix) names the secret as `<name>-??????` to IAM.
    return { valueFrom: source.arn, service: 'secretsmanager', resources: [secretArn, `${secretArn}-??????`] };
  }
  if ('arn' in source) return { valueFrom: source.arn, service: 'ssm', resources: [source.arn] };
  const arn = sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${source.name.replace(/^\//, '')}`);
  return { valueFrom: arn, service: 'ssm', resources: [arn] };
}

const unique = <T>(items: T[]): T[] => {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/** Tag values allow letters, digits, spaces and `_.:/=+-@`, at most 256 characters. */
const tagValue = (values: string[]) => values.join(' ').slice(0, 256);

function groupResources(group: TaskDefinitionGroup, inputs: PipelineTaskInputs): Record<string, Cfn> {
  const { service, stage, settings } = inputs;
  const ids = taskResourceIds(group.name);
  const [[, first]] = group.pipelines as [[string, Pipeline], ...Array<[string, Pipeline]>];
  const task = first.task;
  const ec2 = task.capacity === 'ec2';
  const bucket = stackBucket(settings);

  // --- task role: what the container itself may do ---
  const reads = group.pipelines.flatMap(([, pipeline]) =>
    triggerPrefixes(pipeline).map((prefix) => objectsUnder(pipeline.trigger?.bucket ?? bucket, prefix)),
  );
  const writes = group.pipelines.flatMap(([name, pipeline]) =>
    ['rejects', 'staging'].map((area) => objectsUnder(pipeline.trigger?.bucket ?? bucket, `${area}/${name}/`)),
  );
  const stackStatements: Cfn[] = [
    ...(reads.length ? [{ Sid: 'ReadBatchFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: unique(reads) }] : []),
    { Sid: 'WriteStagingAndRejects', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: unique(writes) },
    // Large batches: the object list is on the Runs item (OBJECTS_RUN_KEY).
    { Sid: 'ReadObjectListPointer', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: getAtt(RUNS_TABLE_ID, 'Arn') },
  ];
  if (group.pipelines.some(([, pipeline]) => pipeline.task.launch === 'callback')) {
    stackStatements.push({
      Sid: 'CallBack',
      Effect: 'Allow',
      Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      // By name, not by reference: the state machine's role passes this role (no cycle).
      Resource: sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${service}-${stage}-pipeline`),
    });
  }
  // An activity pipeline's task definition (one activity pipeline at most, the registry says)
  // also runs its workers' service: they poll exactly its activity and report on its tasks
  // (the activity is the resource these actions are granted on, as CDK's Activity.grant does;
  // a worker's tokens belong to its activity).
  const activity = group.pipelines.find(([, pipeline]) => pipeline.task.launch === 'activity');
  if (activity) {
    stackStatements.push({
      Sid: 'WorkOwnActivity',
      Effect: 'Allow',
      Action: ['states:GetActivityTask', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      Resource: ref(activityIds(activity[0]).activity),
    });
  }
  // Each pipeline's own statements in a policy of its own (statement ids are unique per
  // policy); a statement two pipelines both declare is granted once.
  const granted = new Set<string>();
  const pipelinePolicies = group.pipelines.flatMap(([name, pipeline]) => {
    const statements = pipeline.task.policies.map(policyStatement).filter((statement) => {
      const key = JSON.stringify(statement);
      if (granted.has(key)) return false;
      granted.add(key);
      return true;
    });
    return statements.length ? [{ PolicyName: `pipeline-${name}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }] : [];
  });

  // --- execution role: what ECS does to start the container ---
  const executionStatements: Cfn[] = [
    {
      Sid: 'WriteLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: getAtt(TASK_LOG_GROUP_ID, 'Arn'),
    },
  ];
  const repository = isBuiltImage(task.image)
    ? inputs.builtImageRepositoryArn
    : (() => {
        const ecr = ecrRepositoryOf(task.image);
        return ecr ? sub(`arn:\${AWS::Partition}:ecr:${ecr.region}:${ecr.account}:repository/${ecr.repository}`) : undefined;
      })();
  if (repository) {
    executionStatements.push(
      // GetAuthorizationToken has no resource-level permissions.
      { Sid: 'AuthenticateToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'PullImage',
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        Resource: repository,
      },
    );
  }
  const secrets = Object.entries(task.secrets).map(([name, secret]) => ({
    name,
    grant: secretGrant(secretValueFrom(secret)),
    key: secretKmsKey(secret),
  }));
  const secretsManager = unique(secrets.filter((s) => s.grant.service === 'secretsmanager').flatMap((s) => s.grant.resources));
  const parameters = unique(secrets.filter((s) => s.grant.service === 'ssm').flatMap((s) => s.grant.resources));
  const keys = unique(secrets.flatMap((s) => (s.key ? [s.key] : [])));
  if (secretsManager.length)
    executionStatements.push({ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretsManager });
  if (parameters.length)
    executionStatements.push({ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: parameters });
  if (keys.length) executionStatements.push({ Sid: 'DecryptSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: keys });

  // --- the task definition ---
  const environment: Record<string, unknown> = {
    STAGE: stage,
    UPLOADS_BUCKET: bucket,
    STAGING_BUCKET: bucket,
    ...(activity ? { ACTIVITY_ARN: ref(activityIds(activity[0]).activity) } : {}),
    ...settings.taskEnvironment[group.name],
  };
  const cpu = Math.max(...group.pipelines.map(([, pipeline]) => pipeline.task.cpu));
  const memory = Math.max(...group.pipelines.map(([, pipeline]) => pipeline.task.memory));
  const teams = unique(group.pipelines.flatMap(([, pipeline]) => (pipeline.owner ? [pipeline.owner.team] : [])));
  return {
    [ids.taskRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `Containers of task definition ${group.name} (pipelines ${group.pipelines.map(([name]) => name).join(', ')})`.slice(
          0,
          1000,
        ),
        AssumeRolePolicyDocument: trustEcsTasks,
        Policies: [
          { PolicyName: 'pipeline-run', PolicyDocument: { Version: '2012-10-17', Statement: stackStatements } },
          ...pipelinePolicies,
        ],
      },
    },
    [ids.executionRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `ECS starting task definition ${group.name}: image, logs, secrets`,
        AssumeRolePolicyDocument: trustEcsTasks,
        Policies: [{ PolicyName: 'start-task', PolicyDocument: { Version: '2012-10-17', Statement: executionStatements } }],
      },
    },
    [ids.taskDefinition]: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        Family: group.family,
        RequiresCompatibilities: [ec2 ? 'EC2' : 'FARGATE'],
        // EC2 tasks share their instance's network (bridge): RunTask assigns public IPs only to
        // Fargate tasks, and the instance reaches the AWS APIs for them.
        NetworkMode: ec2 ? 'bridge' : 'awsvpc',
        RuntimePlatform: { CpuArchitecture: task.architecture, OperatingSystemFamily: 'LINUX' },
        Cpu: String(cpu),
        Memory: String(memory),
        ...(task.ephemeralStorageGiB !== undefined ? { EphemeralStorage: { SizeInGiB: task.ephemeralStorageGiB } } : {}),
        ExecutionRoleArn: getAtt(ids.executionRole, 'Arn'),
        TaskRoleArn: getAtt(ids.taskRole, 'Arn'),
        ContainerDefinitions: [
          {
            Name: task.container,
            Image: inputs.imageOf(group.name, task.image),
            Essential: true,
            // Time between SIGTERM and SIGKILL: the worker reports the stop before it exits.
            StopTimeout: activity ? (activity[1].task.workers?.stopTimeoutSeconds ?? 30) : 30,
            Environment: Object.entries(environment).map(([Name, Value]) => ({ Name, Value })),
            ...(secrets.length ? { Secrets: secrets.map(({ name, grant }) => ({ Name: name, ValueFrom: grant.valueFrom })) } : {}),
            LogConfiguration: {
              LogDriver: 'awslogs',
              Options: {
                'awslogs-group': ref(TASK_LOG_GROUP_ID),
                'awslogs-region': ref('AWS::Region'),
                // lib/pipelines/runs/summarize-run.ts links a task's log stream by this prefix.
                'awslogs-stream-prefix': group.name,
              },
            },
          },
        ],
        // Copied to every task by RunTask PropagateTags; the task's group names its pipeline run.
        Tags: [
          { Key: 'task-definition', Value: group.name },
          { Key: 'pipelines', Value: tagValue(group.pipelines.map(([name]) => name)) },
          ...(teams.length ? [{ Key: 'team', Value: tagValue(teams) }] : []),
          { Key: 'stage', Value: stage },
          { Key: 'service', Value: service },
        ],
      },
    },
  };
}

/** The state machine's grants to launch exactly the generated task definitions. */
function launchPolicy(groups: TaskDefinitionGroup[]): Cfn {
  const roles = groups.flatMap((group) => {
    const ids = taskResourceIds(group.name);
    return [getAtt(ids.taskRole, 'Arn'), getAtt(ids.executionRole, 'Arn')];
  });
  return {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: 'run-pipeline-tasks',
      Roles: [ref(STATE_MACHINE_ROLE_ID)],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'RunPipelineTasks',
            Effect: 'Allow',
            Action: 'ecs:RunTask',
            Resource: groups.map((group) =>
              sub(`arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${group.family}:*`),
            ),
            Condition: { ArnEquals: { 'ecs:cluster': getAtt(CLUSTER_ID, 'Arn') } },
          },
          {
            Sid: 'PassTaskRoles',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: roles,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
        ],
      },
    },
  };
}

/** Every pipeline task definition with its roles, and the state machine's launch policy. */
export function pipelineTaskResources(template: Template, inputs: PipelineTaskInputs): Record<string, Cfn> {
  for (const id of [CLUSTER_ID, TASK_LOG_GROUP_ID, RUNS_TABLE_ID, STATE_MACHINE_ROLE_ID]) {
    if (!template.Resources[id])
      throw new StackGenerationError(`stack/pipeline-tasks.ts needs resource ${id} (resources/*.yml), and the template has none`);
  }
  const groups = taskDefinitionGroups(inputs.registry, inputs.service, inputs.stage);
  if (groups.length === 0) throw new StackGenerationError('pipelines.yml declares no pipeline: the stack has nothing to run');
  const resources: Record<string, Cfn> = {};
  for (const group of groups) Object.assign(resources, groupResources(group, inputs));
  resources[LAUNCH_POLICY_ID] = launchPolicy(groups);
  return resources;
}
