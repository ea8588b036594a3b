/**
 * A pipeline's container as the registry declares it (pipelines.yml `task:`): its image (a
 * URI, or a build that `npm run deploy` runs), architecture, storage, capacity and placement,
 * secrets and the statements of its task role, the stack's optional EC2 capacity, and the
 * pipeline's owner. The stack generates task definitions, roles and grants from these
 * (stack/pipeline-tasks.ts), so what is checked here is what would otherwise fail at deploy
 * time or, worse, grant too much.
 */
import * as z from 'zod';
import { CRON } from './schedule-expression';

export const ARCHITECTURES = ['ARM64', 'X86_64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const CAPACITIES = ['fargate', 'fargate-spot', 'ec2'] as const;
export type Capacity = (typeof CAPACITIES)[number];

/** Fargate task storage: 21 GiB to 200 GiB (without the setting a task gets 20 GiB). */
export const MIN_EPHEMERAL_STORAGE_GIB = 21;
export const MAX_EPHEMERAL_STORAGE_GIB = 200;

/** ECS RunTask: at most 10 placement constraints and 5 placement strategies. */
export const MAX_PLACEMENT_CONSTRAINTS = 10;
export const MAX_PLACEMENT_STRATEGIES = 5;

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

// --- image -------------------------------------------------------------------------------

// The Docker reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
const DOMAIN_PART = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::\\d+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::\\w[\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

/** An image in an ECR repository: account, region and repository name (pull grants name it). */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/;

export function ecrRepositoryOf(uri: string): { account: string; region: string; repository: string } | undefined {
  const match = ECR_IMAGE.exec(uri);
  return match ? { account: match[1]!, region: match[2]!, repository: match[3]! } : undefined;
}

const relativePath = (what: string) =>
  z
    .string()
    .min(1, `${what} is a path relative to the project root`)
    .refine(
      (path) => !path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path),
      `${what} is a path relative to the project root, not an absolute one`,
    );

export const ImageBuildSchema = z.strictObject({
  build: z.strictObject({
    /** The build context, relative to the project root (where pipelines.yml is). */
    context: relativePath('build.context').default('.'),
    /** The Dockerfile, relative to the project root (default: <context>/Dockerfile). */
    dockerfile: relativePath('build.dockerfile').optional(),
    /** The multi-stage build's target stage. */
    target: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'build.target is a stage name of the Dockerfile')
      .optional(),
  }),
});
export type ImageBuild = z.infer<typeof ImageBuildSchema>['build'];

const imageUri = z
  .string()
  .regex(
    IMAGE_REFERENCE,
    'task.image is an image reference such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2 (or @sha256:<digest>)',
  );

export const ImageSchema = z.union([imageUri, ImageBuildSchema], {
  error: (issue) =>
    typeof issue.input === 'string'
      ? undefined
      : 'task.image is an image URI, or { build: { context, dockerfile, target } } for an image the deploy command builds',
});
export type TaskImage = z.infer<typeof ImageSchema>;

export const isBuiltImage = (image: TaskImage): image is { build: ImageBuild } => typeof image !== 'string';

/** Two images are the same when they are the same URI or the same build. */
export const sameImage = (a: TaskImage, b: TaskImage): boolean => JSON.stringify(a) === JSON.stringify(b);

// --- secrets -----------------------------------------------------------------------------

const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(?::[^:]*:[^:]*:[^:]*)?$/;
const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]+$/;
/** SSM names in path form: a bare word would as likely be a pasted secret value. */
const SSM_PARAMETER_NAME = /^\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

export type SecretSource = { service: 'secretsmanager'; arn: string } | { service: 'ssm'; arn: string } | { service: 'ssm'; name: string };

/** Where a secret reference points, or undefined when it is none of the accepted forms. */
export function secretSource(reference: string): SecretSource | undefined {
  if (SECRETS_MANAGER_ARN.test(reference)) return { service: 'secretsmanager', arn: reference };
  if (SSM_PARAMETER_ARN.test(reference)) return { service: 'ssm', arn: reference };
  if (SSM_PARAMETER_NAME.test(reference) && reference.length <= 2048) return { service: 'ssm', name: reference };
  return undefined;
}

const secretReference = z
  .string()
  .refine(
    (value) => secretSource(value) !== undefined,
    'is neither an ARN (arn:aws:secretsmanager:…:secret:… or arn:aws:ssm:…:parameter/…) nor an SSM parameter name starting with "/": the registry names a secret, never its value',
  );

export const SecretSchema = z.union([
  secretReference,
  z.strictObject({
    valueFrom: secretReference,
    /** The customer managed key the secret or SecureString parameter is encrypted with. */
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, 'kmsKeyArn is a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)'),
  }),
]);
export type Secret = z.infer<typeof SecretSchema>;

export const secretValueFrom = (secret: Secret): string => (typeof secret === 'string' ? secret : secret.valueFrom);
export const secretKmsKey = (secret: Secret): string | undefined => (typeof secret === 'string' ? undefined : secret.kmsKeyArn);

export const SecretsSchema = z.record(
  z.string().regex(ENV_NAME, 'secret names are environment variable names (UPPER_SNAKE_CASE)'),
  SecretSchema,
);

// --- task-role statements ----------------------------------------------------------------

const IAM_ACTION = /^(?:\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
const oneOrMany = (item: z.ZodString, what: string) =>
  z.union([item, z.array(item).min(1)], { error: (issue) => (issue.input === undefined ? `${what} is required` : undefined) });
const conditionValue = z.union([z.string(), z.number(), z.boolean()]);

export const PolicyStatementSchema = z.strictObject({
  Sid: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, 'Sid is letters and digits')
    .optional(),
  Effect: z.enum(['Allow', 'Deny'], { error: 'Effect is Allow or Deny' }),
  Action: oneOrMany(z.string().regex(IAM_ACTION, 'an action is service:Action, e.g. sqs:SendMessage'), 'Action'),
  /** ARNs; `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}` are filled in by the stack. */
  Resource: oneOrMany(z.string().min(1), 'Resource'),
  Condition: z.record(z.string(), z.record(z.string(), z.union([conditionValue, z.array(conditionValue)]))).optional(),
});
export type PolicyStatement = z.infer<typeof PolicyStatementSchema>;

/** Verbs of actions that only read; anything else counts as a write. */
const READ_VERBS = [
  'Get',
  'List',
  'Describe',
  'BatchGet',
  'BatchCheck',
  'Head',
  'Query',
  'Scan',
  'Select',
  'Search',
  'Lookup',
  'View',
  'Read',
  'Filter',
];
/**
 * Writes AWS offers no resource-level permission for, so `Resource: '*'` is the only way to
 * grant them (CloudWatch metrics, X-Ray segments).
 */
const WRITES_WITHOUT_RESOURCES = new Set(['cloudwatch:PutMetricData', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

export function isReadAction(action: string): boolean {
  const verb = action.split(':')[1] ?? '';
  return READ_VERBS.some((read) => verb.startsWith(read));
}

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** What is wrong with one statement of task.policies, if anything. */
export function statementProblems(statement: PolicyStatement): string[] {
  if (statement.Effect !== 'Allow') return [];
  const problems: string[] = [];
  for (const action of list(statement.Action)) {
    if (action === '*' || action.endsWith(':*')) {
      problems.push(
        `Action "${action}" allows every ${action === '*' ? 'AWS' : action.split(':')[0]} action: list the actions the container needs`,
      );
    }
  }
  if (list(statement.Resource).includes('*')) {
    const writes = list(statement.Action).filter(
      (action) => action !== '*' && !action.endsWith(':*') && !isReadAction(action) && !WRITES_WITHOUT_RESOURCES.has(action),
    );
    if (writes.length) {
      problems.push(
        `Resource "*" with ${writes.length > 1 ? 'write actions' : 'the write action'} ${writes.join(', ')}: name the resources the container may change`,
      );
    }
  }
  return problems;
}

// --- placement ---------------------------------------------------------------------------

export const PlacementConstraintSchema = z
  .strictObject({
    type: z.enum(['memberOf', 'distinctInstance'], { error: 'a placement constraint type is memberOf or distinctInstance' }),
    /** Cluster query language, e.g. `attribute:ecs.instance-type =~ r6g.*` (memberOf only). */
    expression: z.string().min(1).max(2000).optional(),
  })
  .superRefine((constraint, ctx) => {
    if (constraint.type === 'memberOf' && constraint.expression === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expression'], message: 'a memberOf constraint needs an expression' });
    }
    if (constraint.type === 'distinctInstance' && constraint.expression !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expression'], message: 'a distinctInstance constraint takes no expression' });
    }
  });

export const PlacementStrategySchema = z
  .strictObject({
    type: z.enum(['binpack', 'spread', 'random'], { error: 'a placement strategy type is binpack, spread or random' }),
    /** binpack: cpu or memory; spread: instanceId, host or attribute:<name>; random: none. */
    field: z.string().min(1).optional(),
  })
  .superRefine((strategy, ctx) => {
    if (strategy.type === 'binpack' && strategy.field !== 'cpu' && strategy.field !== 'memory') {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'a binpack strategy packs on field cpu or memory' });
    }
    if (
      strategy.type === 'spread' &&
      !(strategy.field === 'instanceId' || strategy.field === 'host' || strategy.field?.startsWith('attribute:'))
    ) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'a spread strategy spreads on field instanceId, host or attribute:<name>' });
    }
    if (strategy.type === 'random' && strategy.field !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'a random strategy takes no field' });
    }
  });

export const PlacementSchema = z.strictObject({
  constraints: z
    .array(PlacementConstraintSchema)
    .max(MAX_PLACEMENT_CONSTRAINTS, `at most ${MAX_PLACEMENT_CONSTRAINTS} placement constraints`)
    .default([]),
  strategy: z
    .array(PlacementStrategySchema)
    .max(MAX_PLACEMENT_STRATEGIES, `at most ${MAX_PLACEMENT_STRATEGIES} placement strategies`)
    .default([]),
});
export type Placement = z.infer<typeof PlacementSchema>;

// --- the local cloud ---------------------------------------------------------------------

/**
 * How `npm run local` runs the container without Docker: its command (task.command, or the
 * Dockerfile's CMD of a built image) as a process in `cwd`, with `environment` on top of the
 * task definition's. Secrets come from the local secrets file or the environment, by name.
 */
export const LocalRunSchema = z.strictObject({
  /** Relative to the project root; default: the build context (the project root for an image URI). */
  cwd: relativePath('local.cwd').optional(),
  /** Values that differ locally; `{warehouseDir}`, `{taskIp}` and `{taskArn}` are filled in. */
  environment: z.record(z.string().regex(ENV_NAME, 'environment names are UPPER_SNAKE_CASE'), z.string()).default({}),
});
export type LocalRun = z.infer<typeof LocalRunSchema>;

// --- owner -------------------------------------------------------------------------------

export const OwnerSchema = z.strictObject({
  /** Tags the pipeline's task definition (and so its tasks): a tag value. */
  team: z.string().regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/, 'team is a tag value: at most 128 letters, digits, spaces and _.:/=+-@'),
  /** Subscribed to the operators' topic for this pipeline's notices and alarms (confirm it once). */
  email: z.email('email is an email address').optional(),
  /** The team's own SNS topic: this pipeline's notices and alarms are published there too. */
  topicArn: z.string().regex(SNS_TOPIC_ARN, 'topicArn is an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)').optional(),
});
export type Owner = z.infer<typeof OwnerSchema>;

// --- the stack's EC2 capacity --------------------------------------------------------------

/** Graviton instance families (a1, and a `g` after the generation: m7g, c6gn, r8gd, t4g). */
const ARM_FAMILY = /^(?:a1|[a-z]+\d+g[a-z]*)\./;
export const architectureOfInstanceType = (instanceType: string): Architecture => (ARM_FAMILY.test(instanceType) ? 'ARM64' : 'X86_64');

export class CronConversionError extends Error {
  override readonly name = 'CronConversionError';
}

/**
 * An EventBridge-style `cron(min hour dom month dow year)` as the five-field Unix cron that
 * Auto Scaling's scheduled actions take. Day-of-week numbers move from 1-7 (Sunday 1) to
 * 0-6 (Sunday 0); what Unix cron cannot say (L, W, #, a year) is refused.
 */
export function toUnixCron(expression: string): string {
  const match = CRON.exec(expression);
  if (!match) throw new CronConversionError('a scheduled action needs cron(...)');
  const fields = match[1]!.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new CronConversionError(`cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (year !== '*') throw new CronConversionError('Auto Scaling schedules repeat every year: the year field must be *');
  // Day names (WED has a W) are fine; L, W and # are not.
  if (/[LW]/i.test(dom) || /[L#]/i.test(dow.replace(/[A-Z]{3}/gi, ''))) {
    throw new CronConversionError('Auto Scaling schedules take no L, W or # in the day fields');
  }
  const unixDow =
    dow === '?' ? '*' : dow.replace(/\d+/g, (n, offset: number, text: string) => (text[offset - 1] === '/' ? n : String(Number(n) - 1)));
  return [minutes, hours, dom === '?' ? '*' : dom, month, unixDow].join(' ');
}

const cronString = z.string().superRefine((value, ctx) => {
  try {
    toUnixCron(value);
  } catch (error) {
    if (!(error instanceof CronConversionError)) throw error;
    ctx.addIssue({ code: 'custom', message: `bad schedule "${value}": ${error.message}` });
  }
});

export const Ec2ScheduledActionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'scheduled action names are lower-case words with dashes'),
    schedule: cronString,
    /** IANA time zone of the schedule (default UTC). */
    timezone: z.string().min(1).optional(),
    minInstances: z.number().int().min(0).optional(),
    maxInstances: z.number().int().min(0).optional(),
  })
  .refine(
    (action) => action.minInstances !== undefined || action.maxInstances !== undefined,
    'a scheduled action sets minInstances, maxInstances or both',
  );

export const Ec2CapacitySchema = z
  .strictObject({
    instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'instanceType is an EC2 instance type such as m7g.large'),
    /** Must match the instance type and the architecture of every pipeline on it. */
    architecture: z.enum(ARCHITECTURES),
    minInstances: z.number().int().min(0).default(0),
    maxInstances: z.number().int().min(1).max(1000),
    /** Managed scaling keeps instances this full of task reservations (100: no spare instance). */
    targetCapacityPercent: z.number().int().min(1).max(100).default(100),
    rootVolumeGiB: z.number().int().min(30, 'the ECS-optimized AMI needs at least 30 GiB').max(16_384).default(30),
    /** Minimum and maximum instances by schedule (a morning ramp before a known peak). */
    scheduledActions: z.array(Ec2ScheduledActionSchema).default([]),
  })
  .superRefine((capacity, ctx) => {
    if (capacity.minInstances > capacity.maxInstances) {
      ctx.addIssue({
        code: 'custom',
        path: ['minInstances'],
        message: `minInstances (${capacity.minInstances}) must not exceed maxInstances (${capacity.maxInstances})`,
      });
    }
    if (architectureOfInstanceType(capacity.instanceType) !== capacity.architecture) {
      ctx.addIssue({
        code: 'custom',
        path: ['architecture'],
        message: `instance type ${capacity.instanceType} is ${architectureOfInstanceType(capacity.instanceType)}, not ${capacity.architecture}`,
      });
    }
    const seen = new Set<string>();
    capacity.scheduledActions.forEach((action, index) => {
      if (seen.has(action.name))
        ctx.addIssue({
          code: 'custom',
          path: ['scheduledActions', index, 'name'],
          message: `scheduled action "${action.name}" is declared twice`,
        });
      seen.add(action.name);
    });
  });
export type Ec2Capacity = z.infer<typeof Ec2CapacitySchema>;

export const StackCapacitySchema = z.strictObject({
  /** An Auto Scaling group of ECS-optimized instances for pipelines with task.capacity ec2. */
  ec2: Ec2CapacitySchema.optional(),
});
