/**
 * Adding a pipeline is a registry edit: the shipped registry plus one pipeline that uses every
 * container field, packaged for two stages, gives that pipeline its task definition (image,
 * architecture, storage, Secrets), a task role with its own statements and no other
 * pipeline's, secret grants on its execution role, and state machine grants for exactly the
 * generated families and roles; and both templates pass cfn-lint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cfnLint, packageService, projectRoot, type CfnTemplate, type PackageResult } from '../helpers/package-service';

const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf';
const SIGNING_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2';
const SAMPLE_DIGEST = `sha256:${'c'.repeat(64)}`;
const OWNER_EMAIL = 'orders-oncall@example.com';
const OWNER_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:orders-alerts';

const ORDERS_EU = `
  orders-eu:
    description: EU orders, loaded by the orders team's own image.
    trigger:
      files:
        orders: incoming/eu/orders-{date}.csv
      windowMinutes: 30
    task:
      container: orders
      image: ${IMAGE}
      architecture: ARM64
      cpu: 1024
      memory: 2048
      ephemeralStorageGiB: 50
      capacity: fargate
      launch: callback
      timeoutSeconds: 1800
      heartbeatSeconds: 120
      secrets:
        DB_PASSWORD: ${DB_SECRET}
        API_TOKEN: /orders/api-token
        SIGNING_SECRET: { valueFrom: /orders/signing, kmsKeyArn: ${SIGNING_KEY} }
      policies:
        - { Effect: Allow, Action: [sqs:SendMessage], Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders-out' }
    owner:
      team: orders
      email: ${OWNER_EMAIL}
      topicArn: ${OWNER_TOPIC}
  # On the stack's EC2 capacity, placed on memory-optimized Graviton instances.
  orders-backfill:
    schedule:
      expression: cron(0 2 ? * SUN *)
    task:
      container: orders
      image: ${IMAGE}
      architecture: ARM64
      cpu: 2048
      memory: 8192
      capacity: ec2
      placement:
        constraints: [{ type: memberOf, expression: 'attribute:ecs.instance-type =~ r7g.*' }]
        strategy: [{ type: binpack, field: memory }]
      launch: sync
      timeoutSeconds: 7200
    owner:
      team: orders
      email: ${OWNER_EMAIL}
`;

const EC2_CAPACITY = `
capacity:
  ec2:
    instanceType: r7g.xlarge
    architecture: ARM64
    maxInstances: 4
    scheduledActions:
      - { name: sunday-backfill, schedule: 'cron(45 1 ? * SUN *)', minInstances: 1 }
      - { name: after-backfill, schedule: 'cron(0 6 ? * SUN *)', minInstances: 0 }
`;

/** The shipped registry with orders-eu added, in a file of its own. */
function registryFile(): string {
  const shipped = readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8');
  const file = join(mkdtempSync(join(tmpdir(), 'registry-')), 'pipelines.yml');
  writeFileSync(file, `${shipped.replace(/^pipelines:\n/m, `pipelines:${ORDERS_EU}\n`)}\n${EC2_CAPACITY}`);
  return file;
}

let dev: PackageResult;
let prod: PackageResult;

beforeAll(async () => {
  const env = { PIPELINES_FILE: registryFile() };
  // One after the other: serverless writes its state file under the service folder.
  dev = await packageService({ stage: 'dev', env });
  prod = await packageService({
    stage: 'prod-eu',
    env,
    params: { existingBucketName: 'acme-landing', images: `sample-pipeline=${SAMPLE_DIGEST}` },
  });
}, 300_000);

type Resource = CfnTemplate['Resources'][string];
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const byType = (template: CfnTemplate, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const definitionOf = (template: CfnTemplate, family: string): Resource =>
  byType(template, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.Family === family)![1];
const roleIdOf = (value: unknown): string => (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const statementsOf = (template: CfnTemplate, roleId: string): Statement[] =>
  template.Resources[roleId]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe.each([
  ['dev', () => dev],
  ['prod-eu', () => prod],
])('stage %s with a pipeline added to the registry only', (stage, result) => {
  const template = () => result().template;
  const definition = () => definitionOf(template(), `ecs-pipelines-${stage}-orders-eu`);

  it('passes cfn-lint with no errors', async () => {
    expect((await cfnLint(result().templatePath)).errors).toEqual([]);
  }, 120_000);

  it('has a task definition with its image, architecture, storage and Secrets (not Environment)', () => {
    const properties = definition().Properties;
    expect(properties).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '1024',
      Memory: '2048',
      EphemeralStorage: { SizeInGiB: 50 },
    });
    const [container] = properties.ContainerDefinitions;
    expect(container.Name).toBe('orders');
    expect(container.Image).toBe(IMAGE);
    expect(container.Secrets.map((s: { Name: string }) => s.Name)).toEqual(['DB_PASSWORD', 'API_TOKEN', 'SIGNING_SECRET']);
    expect(container.Secrets[0].ValueFrom).toBe(DB_SECRET);
    const environment = JSON.stringify(container.Environment);
    for (const secret of ['DB_PASSWORD', 'API_TOKEN', 'SIGNING_SECRET', 'secretsmanager', 'orders/api-token'])
      expect(environment).not.toContain(secret);
    expect(container.LogConfiguration.Options['awslogs-stream-prefix']).toBe('orders-eu');
    expect(properties.Tags).toContainEqual({ Key: 'team', Value: 'orders' });
  });

  it("gives its task role its own statement and no other pipeline's, and other task roles none of its", () => {
    const ownRole = roleIdOf(definition().Properties.TaskRoleArn);
    const own = statementsOf(template(), ownRole);
    expect(own).toContainEqual({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders-out' });
    // The sample pipelines' warehouse statements stay on the sample's role.
    expect(actionsOf(own).filter((a) => a.startsWith('redshift'))).toEqual([]);
    expect(JSON.stringify(own)).not.toMatch(/incoming\/acme|inventory|sample/);
    // Every other task role: the sample pipelines' and the queue service's.
    const otherRoles = byType(template(), 'AWS::ECS::TaskDefinition')
      .map(([, r]) => roleIdOf(r.Properties.TaskRoleArn))
      .filter((id) => id !== ownRole);
    expect(otherRoles.length).toBeGreaterThanOrEqual(1);
    for (const id of otherRoles) {
      expect({ id, sends: actionsOf(statementsOf(template(), id)).includes('sqs:SendMessage') }).toEqual({ id, sends: false });
      expect({ id, mentions: JSON.stringify(statementsOf(template(), id)).includes('orders-eu') }).toEqual({ id, mentions: false });
    }
  });

  it('lets its execution role read exactly its secrets, and no other execution role read them', () => {
    const ownRole = roleIdOf(definition().Properties.ExecutionRoleArn);
    const own = statementsOf(template(), ownRole);
    expect(own.find((s) => s.Action === 'secretsmanager:GetSecretValue')?.Resource).toEqual([DB_SECRET, `${DB_SECRET}-??????`]);
    expect(JSON.stringify(own.find((s) => s.Action === 'ssm:GetParameters')?.Resource)).toBe(
      JSON.stringify(
        ['orders/api-token', 'orders/signing'].map((name) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name}`,
        })),
      ),
    );
    expect(own.find((s) => s.Action === 'kms:Decrypt')?.Resource).toEqual([SIGNING_KEY]);
    const others = byType(template(), 'AWS::ECS::TaskDefinition')
      .map(([, r]) => roleIdOf(r.Properties.ExecutionRoleArn))
      .filter((id) => id !== ownRole);
    for (const id of others) {
      expect({ id, secrets: actionsOf(statementsOf(template(), id)).filter((a) => /secretsmanager|ssm:|kms:/.test(a)) }).toEqual({
        id,
        secrets: [],
      });
    }
  });

  it('lets the state machine run exactly the generated families and pass exactly their roles', () => {
    // Pipeline task definitions have a family; a queue service's is named by CloudFormation.
    const definitions = byType(template(), 'AWS::ECS::TaskDefinition').filter(([, r]) => typeof r.Properties.Family === 'string');
    const families = definitions.map(([, r]) => r.Properties.Family as string).sort();
    expect(families).toEqual([
      `ecs-pipelines-${stage}-orders-backfill`,
      `ecs-pipelines-${stage}-orders-eu`,
      `ecs-pipelines-${stage}-sample-pipeline`,
    ]);
    const machineRole = byType(template(), 'AWS::StepFunctions::StateMachine')[0]![1].Properties.RoleArn['Fn::GetAtt'][0];
    const statements = [
      ...template().Resources[machineRole]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement),
      ...byType(template(), 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(machineRole))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
    ] as Statement[];
    const runTask = statements.filter((s) => actionsOf([s]).includes('ecs:RunTask'));
    expect(
      runTask
        .flatMap((s) => [s.Resource].flat())
        .map((r) => (r as { 'Fn::Sub': string })['Fn::Sub'])
        .sort(),
    ).toEqual(families.map((family) => `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${family}:*`));
    const passRole = statements.filter((s) => actionsOf([s]).includes('iam:PassRole'));
    const roles = definitions.flatMap(([, r]) => [roleIdOf(r.Properties.TaskRoleArn), roleIdOf(r.Properties.ExecutionRoleArn)]).sort();
    expect(
      passRole
        .flatMap((s) => [s.Resource].flat())
        .map(roleIdOf)
        .sort(),
    ).toEqual(roles);
    for (const statement of passRole)
      expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('sends its notices and alarms to its owner too: one filtered email subscription, and its topic through the forwarder', () => {
    const subscriptions = byType(template(), 'AWS::SNS::Subscription').map(([, r]) => r.Properties);
    const emails = subscriptions.filter((p) => p.Protocol === 'email' && p.Endpoint === OWNER_EMAIL);
    expect(emails).toEqual([
      {
        TopicArn: { Ref: 'OperatorsTopic' },
        Protocol: 'email',
        Endpoint: OWNER_EMAIL,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: { pipeline: ['orders-backfill', 'orders-eu'] },
      },
    ]);
    const forwarder = subscriptions.filter((p) => p.Protocol === 'lambda' && JSON.stringify(p.TopicArn) === '{"Ref":"OperatorsTopic"}');
    expect(forwarder).toHaveLength(1);
    expect(forwarder[0]).toMatchObject({ TopicArn: { Ref: 'OperatorsTopic' }, FilterPolicy: { pipeline: ['orders-eu'] } });
    expect(JSON.stringify(forwarder[0]!.Endpoint)).toContain('ForwardOwnerNoticesLambdaFunction');
    const publishes = statementsOf(template(), 'ForwardOwnerNoticesIamRoleLambdaExecution').filter((s) =>
      actionsOf([s]).includes('sns:Publish'),
    );
    expect(publishes.flatMap((s) => [s.Resource].flat())).toEqual([OWNER_TOPIC]);
  });

  it("runs its EC2 pipeline on the stack's EC2 capacity: an EC2 task definition, a capacity provider with managed scaling, the scheduled sizes", () => {
    const backfill = definitionOf(template(), `ecs-pipelines-${stage}-orders-backfill`).Properties;
    expect(backfill).toMatchObject({
      RequiresCompatibilities: ['EC2'],
      NetworkMode: 'bridge',
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
    });
    expect(backfill.EphemeralStorage).toBeUndefined();
    const provider = template().Resources.Ec2CapacityProvider!.Properties;
    expect(provider.Name).toBe(`ec2-ecs-pipelines-${stage}`);
    expect(provider.AutoScalingGroupProvider).toMatchObject({
      ManagedScaling: { Status: 'ENABLED' },
      ManagedTerminationProtection: 'ENABLED',
    });
    expect(template().Resources.Ec2CapacityGroup!.Properties).toMatchObject({
      MinSize: '0',
      MaxSize: '4',
      NewInstancesProtectedFromScaleIn: true,
    });
    expect(template().Resources.Ec2CapacitySundayBackfillSchedule!.Properties).toMatchObject({ Recurrence: '45 1 * * SUN', MinSize: 1 });
    expect(template().Resources.PipelineClusterCapacityProviders!.Properties.CapacityProviders).toEqual([
      'FARGATE',
      'FARGATE_SPOT',
      { Ref: 'Ec2CapacityProvider' },
    ]);
  });
});

describe("the sample pipelines' built image", () => {
  const sample = (template: CfnTemplate, stage: string) => definitionOf(template, `ecs-pipelines-${stage}-sample-pipeline`).Properties;
  const repositoryUri = { 'Fn::GetAtt': ['ImageRepository', 'RepositoryUri'] };

  it("lives in the stack's repository: scanned on push, immutable tags, old images expiring", () => {
    expect(dev.template.Resources.ImageRepository?.Properties).toMatchObject({
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      LifecyclePolicy: expect.anything(),
    });
    expect(Object.keys(dev.template.Outputs ?? {})).toEqual(expect.arrayContaining(['ImageRepositoryUri', 'ImagePushPolicyArn']));
  });

  it('is pinned to the digest npm run deploy passes, and points at a not-built tag before that', () => {
    expect(sample(prod.template, 'prod-eu').ContainerDefinitions[0].Image).toEqual({
      'Fn::Join': ['', [repositoryUri, '@', SAMPLE_DIGEST]],
    });
    expect(sample(dev.template, 'dev').ContainerDefinitions[0].Image).toEqual({
      'Fn::Join': ['', [repositoryUri, ':', 'sample-pipeline.not-built']],
    });
  });

  it("may be pulled by the sample's execution role from that repository only; pushing is a separate policy", () => {
    const statements = statementsOf(dev.template, roleIdOf(sample(dev.template, 'dev').ExecutionRoleArn));
    expect(statements.find((s) => s.Sid === 'PullImage')).toEqual({
      Sid: 'PullImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: { 'Fn::GetAtt': ['ImageRepository', 'Arn'] },
    });
    expect(actionsOf(statements)).not.toContain('ecr:PutImage');
    const push = dev.template.Resources.ImagePushPolicy!;
    expect(push.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(JSON.stringify(push.Properties.PolicyDocument)).toContain('ecr:PutImage');
  });
});

describe('a stage name that makes a generated name too long', () => {
  it('fails the packaging naming the name, its limit and the longest stage that fits', async () => {
    const failure = await packageService({ stage: 'feature-orders-bkfl' }).then(
      () => 'packaged',
      // PackageError (scripts/package-stage.ts) carries what sls printed in its message.
      (error: Error) => error.message,
    );
    expect(failure).toContain(
      'stage "feature-orders-bkfl" (region us-east-1) makes names too long; use a stage name of at most 17 characters',
    );
    expect(failure).toContain(
      'S3 bucket name of UploadsBucket would be 64 characters long, over AWS\'s limit of 63: "ecs-pipelines-feature-orders-bkfl-uploads-123456789012-us-east-1"',
    );
  }, 180_000);
});
