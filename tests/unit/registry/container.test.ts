/**
 * A pipeline's container in the registry (task.image, architecture, storage, capacity,
 * placement, secrets, policies; owner; the stack's EC2 capacity): every rule fails with the
 * pipeline and the field named, at package time and at cold start alike.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { isReadAction, secretSource, toUnixCron } from '../../../lib/registry/container';
import { registryProblems } from '../../helpers/registry';

const EC2 = { instanceType: 'm7g.large', architecture: 'ARM64', maxInstances: 4 };

/** A one-pipeline registry (pipeline "demo") with `task` merged into a valid task. */
function registry(task: Record<string, unknown>, extra: Record<string, unknown> = {}, more: Record<string, unknown> = {}): string {
  return JSON.stringify({
    pipelines: {
      demo: {
        trigger: { files: { orders: 'in/orders-{date}.csv' }, windowMinutes: 60 },
        task: { container: 'app', image: 'example.com/app:1', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600, ...task },
      },
      ...more,
    },
    ...extra,
  });
}

const problems = (task: Record<string, unknown>, extra?: Record<string, unknown>, more?: Record<string, unknown>) =>
  registryProblems(registry(task, extra, more)).join('\n');

describe('a pipeline that uses every container field', () => {
  it('is accepted, with the defaults filled in', () => {
    const parsed = parseRegistry(
      registry(
        {
          taskDefinition: 'orders',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2',
          architecture: 'ARM64',
          cpu: 512,
          memory: 1024,
          ephemeralStorageGiB: 50,
          capacity: 'fargate',
          secrets: {
            DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf',
            API_TOKEN: '/orders/api-token',
            SIGNING_KEY: {
              valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/orders/signing',
              kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            },
          },
          policies: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders-out' }],
        },
        {},
      ).replace(
        '"trigger"',
        '"owner":{"team":"data-platform","email":"orders-oncall@example.com","topicArn":"arn:aws:sns:eu-west-1:123456789012:orders-alerts"},"trigger"',
      ),
    );
    const pipeline = parsed.pipelines.demo!;
    expect(pipeline.task).toMatchObject({ architecture: 'ARM64', ephemeralStorageGiB: 50, capacity: 'fargate', environment: {} });
    expect(pipeline.owner).toEqual({
      team: 'data-platform',
      email: 'orders-oncall@example.com',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders-alerts',
    });
  });

  it('defaults to X86_64 on Fargate, with no secrets and no extra statements', () => {
    const task = parseRegistry(registry({})).pipelines.demo!.task;
    expect(task).toMatchObject({ architecture: 'X86_64', capacity: 'fargate', secrets: {}, policies: [] });
    expect(task.taskDefinition).toBeUndefined();
  });

  it('accepts an image the deploy command builds, the context defaulting to the project root', () => {
    const task = parseRegistry(registry({ image: { build: { dockerfile: 'container/Dockerfile', target: 'pipeline' } } })).pipelines.demo!
      .task;
    expect(task.image).toEqual({ build: { context: '.', dockerfile: 'container/Dockerfile', target: 'pipeline' } });
  });

  it('accepts placement on EC2 capacity the registry declares', () => {
    const text = registry(
      {
        capacity: 'ec2',
        architecture: 'ARM64',
        placement: {
          constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ r6g.*' }],
          strategy: [{ type: 'binpack', field: 'memory' }],
        },
      },
      { capacity: { ec2: EC2 } },
    );
    expect(parseRegistry(text).pipelines.demo!.task.placement).toEqual({
      constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ r6g.*' }],
      strategy: [{ type: 'binpack', field: 'memory' }],
    });
  });
});

describe('container validation names the pipeline and field', () => {
  it.each([
    [
      'placement without ec2',
      { placement: { strategy: [{ type: 'random' }] } },
      'pipeline "demo", field task.placement: placement applies to capacity ec2 only: Fargate places tasks itself (this pipeline\'s capacity is fargate)',
    ],
    [
      'Fargate Spot with ARM64',
      { capacity: 'fargate-spot', architecture: 'ARM64' },
      'pipeline "demo", field task.capacity: Fargate Spot runs X86_64 tasks only: set task.architecture to X86_64, or capacity to fargate',
    ],
    [
      'storage below 21 GiB',
      { ephemeralStorageGiB: 20 },
      'pipeline "demo", field task.ephemeralStorageGiB: ephemeralStorageGiB must be 21..200 (Fargate)',
    ],
    [
      'storage above 200 GiB',
      { ephemeralStorageGiB: 201 },
      'pipeline "demo", field task.ephemeralStorageGiB: ephemeralStorageGiB must be 21..200 (Fargate)',
    ],
    [
      'a secret that is a value, not a reference',
      { secrets: { DB_PASSWORD: 'hunter2' } },
      'pipeline "demo", field task.secrets.DB_PASSWORD: is neither an ARN (arn:aws:secretsmanager:…:secret:… or arn:aws:ssm:…:parameter/…) nor an SSM parameter name starting with "/": the registry names a secret, never its value',
    ],
    [
      'a secret ARN of another service',
      { secrets: { DB_PASSWORD: 'arn:aws:s3:::bucket/key' } },
      'pipeline "demo", field task.secrets.DB_PASSWORD: is neither an ARN',
    ],
    [
      'a KMS key that is not a key ARN',
      { secrets: { DB_PASSWORD: { valueFrom: '/db/password', kmsKeyArn: 'alias/db' } } },
      'pipeline "demo", field task.secrets.DB_PASSWORD.kmsKeyArn: kmsKeyArn is a KMS key ARN',
    ],
    [
      'a secret also in environment',
      { secrets: { DB_PASSWORD: '/db/password' }, environment: { DB_PASSWORD: 'x' } },
      'pipeline "demo", field task.secrets.DB_PASSWORD: DB_PASSWORD is in task.environment too',
    ],
    [
      'a secret the run sets itself',
      { secrets: { TASK_TOKEN: '/db/password' } },
      'pipeline "demo", field task.secrets.TASK_TOKEN: TASK_TOKEN is set by the run itself',
    ],
    [
      'a policy with Action "*"',
      { policies: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }] },
      'pipeline "demo", field task.policies.0: Action "*" allows every AWS action: list the actions the container needs',
    ],
    [
      'a policy with a service wildcard',
      { policies: [{ Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::b/*' }] },
      'pipeline "demo", field task.policies.0: Action "s3:*" allows every s3 action',
    ],
    [
      'a policy with Resource "*" on a write action',
      { policies: [{ Effect: 'Allow', Action: ['s3:GetObject', 'sqs:SendMessage'], Resource: '*' }] },
      'pipeline "demo", field task.policies.0: Resource "*" with the write action sqs:SendMessage: name the resources the container may change',
    ],
    [
      'a policy with NotAction',
      { policies: [{ Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: '*' }] },
      'pipeline "demo", field task.policies.0: Unrecognized key: "NotAction"',
    ],
    [
      'an image that is no image reference',
      { image: 'orders image v1' },
      'pipeline "demo", field task.image: task.image is an image reference',
    ],
    [
      'no image',
      { image: undefined },
      'pipeline "demo", field task.image: task.image is an image URI, or { build: { context, dockerfile, target } }',
    ],
    [
      'a build from an absolute path',
      { image: { build: { context: '/home/me/orders' } } },
      'pipeline "demo", field task.image.build.context: build.context is a path relative to the project root',
    ],
    ['an unknown architecture', { architecture: 'arm64' }, 'pipeline "demo", field task.architecture: architecture is ARM64 or X86_64'],
    ['an unknown capacity', { capacity: 'spot' }, 'pipeline "demo", field task.capacity: capacity is fargate, fargate-spot or ec2'],
    [
      "ec2 without the stack's EC2 capacity",
      { capacity: 'ec2' },
      'pipeline "demo", field task.capacity: capacity ec2 runs on the stack\'s EC2 capacity: declare capacity.ec2',
    ],
    [
      'storage on ec2',
      { capacity: 'ec2', architecture: 'ARM64', ephemeralStorageGiB: 50 },
      'pipeline "demo", field task.ephemeralStorageGiB: ephemeralStorageGiB applies to Fargate',
    ],
    [
      'a memberOf constraint without an expression',
      { capacity: 'ec2', architecture: 'ARM64', placement: { constraints: [{ type: 'memberOf' }] } },
      'pipeline "demo", field task.placement.constraints.0.expression: a memberOf constraint needs an expression',
    ],
    [
      'a binpack strategy on no resource',
      { capacity: 'ec2', architecture: 'ARM64', placement: { strategy: [{ type: 'binpack', field: 'disk' }] } },
      'pipeline "demo", field task.placement.strategy.0.field: a binpack strategy packs on field cpu or memory',
    ],
  ])('rejects %s', (_name, task, message) => {
    // EC2 pipelines get the stack's EC2 capacity unless the case is about its absence.
    const extra =
      (task as { capacity?: string }).capacity === 'ec2' && !message.includes('declare capacity.ec2') ? { capacity: { ec2: EC2 } } : {};
    expect(problems(task, extra)).toContain(message);
  });

  it('rejects an owner whose email is no address and whose topic is no topic ARN', () => {
    const text = registry({}).replace(
      '"trigger"',
      '"owner":{"team":"data platform","email":"not-an-address","topicArn":"orders-alerts"},"trigger"',
    );
    const found = registryProblems(text).join('\n');
    expect(found).toContain('pipeline "demo", field owner.email: email is an email address');
    expect(found).toContain('pipeline "demo", field owner.topicArn: topicArn is an SNS topic ARN');
  });

  it("rejects an EC2 pipeline whose architecture is not the capacity's", () => {
    expect(problems({ capacity: 'ec2', architecture: 'X86_64' }, { capacity: { ec2: EC2 } })).toContain(
      'pipeline "demo", field task.architecture: the stack\'s EC2 capacity is ARM64 (capacity.ec2.architecture), this task is X86_64',
    );
  });

  it('rejects pipelines that share a task definition but not its container', () => {
    const other = {
      other: {
        trigger: { files: { snapshot: 'in/snapshot-{date}.csv' }, windowMinutes: 60 },
        task: {
          taskDefinition: 'demo',
          container: 'app',
          image: 'example.com/app:2',
          cpu: 256,
          memory: 512,
          launch: 'sync',
          timeoutSeconds: 600,
          secrets: { DB_PASSWORD: '/db/password' },
        },
      },
    };
    const found = problems({}, {}, other);
    expect(found).toContain(
      'pipeline "other", field task.image: differs from pipeline "demo", which shares task definition "demo": pipelines that share a task definition share its container, so task.image must be the same',
    );
    expect(found).toContain('pipeline "other", field task.secrets: differs from pipeline "demo"');
  });

  it('accepts pipelines that share a task definition and agree on its container, whatever their cpu, memory and policies', () => {
    const other = {
      other: {
        trigger: { files: { snapshot: 'in/snapshot-{date}.csv' }, windowMinutes: 60 },
        task: {
          taskDefinition: 'demo',
          container: 'app',
          image: 'example.com/app:1',
          cpu: 1024,
          memory: 2048,
          launch: 'sync',
          timeoutSeconds: 600,
          policies: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
        },
      },
    };
    expect(Object.keys(parseRegistry(registry({}, {}, other)).pipelines)).toEqual(['demo', 'other']);
  });

  it('rejects a shared task definition on Fargate for one pipeline and EC2 for another', () => {
    const other = {
      other: {
        trigger: { files: { snapshot: 'in/snapshot-{date}.csv' }, windowMinutes: 60 },
        task: {
          taskDefinition: 'demo',
          container: 'app',
          image: 'example.com/app:1',
          architecture: 'ARM64',
          cpu: 256,
          memory: 512,
          launch: 'sync',
          timeoutSeconds: 600,
          capacity: 'ec2',
        },
      },
    };
    expect(problems({ architecture: 'ARM64' }, { capacity: { ec2: EC2 } }, other)).toContain(
      'pipeline "other", field task.capacity: pipeline "demo" runs task definition "demo" on fargate: one task definition is for Fargate or for EC2, not both',
    );
  });

  it('rejects EC2 capacity whose instance type is of another architecture, and schedules Auto Scaling cannot repeat', () => {
    const found = registryProblems(
      registry(
        {},
        {
          capacity: {
            ec2: { ...EC2, architecture: 'X86_64', scheduledActions: [{ name: 'ramp', schedule: 'cron(0 6 L * ? *)', minInstances: 2 }] },
          },
        },
      ),
    ).join('\n');
    expect(found).toContain('field capacity.ec2.architecture: instance type m7g.large is ARM64, not X86_64');
    expect(found).toContain(
      'field capacity.ec2.scheduledActions.0.schedule: bad schedule "cron(0 6 L * ? *)": Auto Scaling schedules take no L, W or # in the day fields',
    );
  });
});

describe('container helpers', () => {
  it('tells secret references by their form', () => {
    expect(secretSource('arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf')).toEqual({
      service: 'secretsmanager',
      arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf',
    });
    expect(secretSource('arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf:password::')).toMatchObject({
      service: 'secretsmanager',
    });
    expect(secretSource('/orders/api-token')).toEqual({ service: 'ssm', name: '/orders/api-token' });
    expect(secretSource('arn:aws:ssm:eu-west-1:123456789012:parameter/orders/api-token')).toMatchObject({ service: 'ssm' });
    expect(secretSource('api-token')).toBeUndefined();
    expect(secretSource('correct horse battery staple')).toBeUndefined();
  });

  it('counts only reading verbs as reads', () => {
    expect(['s3:GetObject', 'dynamodb:Query', 's3:ListBucket', 'ecr:BatchGetImage', 's3:Get*'].every(isReadAction)).toBe(true);
    expect(['s3:PutObject', 'sqs:SendMessage', 'dynamodb:UpdateItem', 's3:*Object', 'kms:Decrypt'].some(isReadAction)).toBe(false);
  });

  it('turns an EventBridge cron into the Unix cron Auto Scaling takes (Sunday 1 becomes 0)', () => {
    expect(toUnixCron('cron(40 5 * * ? *)')).toBe('40 5 * * *');
    expect(toUnixCron('cron(0 6 ? * 2-6 *)')).toBe('0 6 * * 1-5');
    expect(toUnixCron('cron(0 6 ? * MON-FRI *)')).toBe('0 6 * * MON-FRI');
    expect(toUnixCron('cron(0 6 ? * WED *)')).toBe('0 6 * * WED');
    expect(toUnixCron('cron(0/15 * ? * 1/2 *)')).toBe('0/15 * * * 0/2');
    expect(() => toUnixCron('cron(0 6 ? * 2 2027)')).toThrow('the year field must be *');
    expect(() => toUnixCron('cron(0 6 ? * 6#3 *)')).toThrow('no L, W or #');
  });
});
