/**
 * Task definitions, task roles, execution roles and the state machine's launch grants,
 * generated from the registry: each pipeline's rights are its own, secrets arrive through
 * `Secrets`, and the state machine may run and pass exactly what was generated.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { pipelineTaskResources, secretGrant, type PipelineTaskInputs } from '../../../stack/pipeline-tasks';
import { StackGenerationError, type Template } from '../../../stack/template';

const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ORDERS_POLICY = { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders-out' };

const registry = parseRegistry(
  JSON.stringify({
    pipelines: {
      orders: {
        trigger: { prefix: 'in/orders/', files: { orders: 'in/orders/orders-{date}.csv' }, windowMinutes: 60 },
        task: {
          container: 'orders',
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2',
          architecture: 'ARM64',
          cpu: 512,
          memory: 1024,
          ephemeralStorageGiB: 50,
          launch: 'callback',
          heartbeatSeconds: 120,
          timeoutSeconds: 3600,
          environment: { LOG_LEVEL: 'debug' },
          secrets: {
            DB_PASSWORD: DB_SECRET,
            API_TOKEN: '/orders/api-token',
            SIGNING_KEY: { valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/orders/signing', kmsKeyArn: KEY },
          },
          policies: [
            ORDERS_POLICY,
            {
              Effect: 'Allow',
              Action: 's3:GetObject',
              Resource: 'arn:${AWS::Partition}:s3:::reference-${AWS::Region}/*',
              Condition: { StringEquals: { 's3:ExistingObjectTag/owner': '${aws:userid}' } },
            },
          ],
        },
        owner: { team: 'data-platform' },
      },
      // Two pipelines on one task definition: one container, one pair of roles.
      inventory: {
        trigger: { files: { snapshot: 'in/inventory/{region}/snapshot-{date}.csv' }, windowMinutes: 60 },
        task: {
          taskDefinition: 'shared',
          container: 'app',
          image: 'public.ecr.aws/docker/library/node:22-slim',
          cpu: 256,
          memory: 512,
          launch: 'sync',
          timeoutSeconds: 600,
          policies: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:123456789012:inventory' }],
        },
      },
      returns: {
        schedule: { expression: 'rate(1 hour)' },
        task: {
          taskDefinition: 'shared',
          container: 'app',
          image: 'public.ecr.aws/docker/library/node:22-slim',
          cpu: 1024,
          memory: 4096,
          launch: 'sync',
          timeoutSeconds: 600,
          policies: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:123456789012:inventory' }],
        },
      },
    },
  }),
);

const template = (): Template => ({
  Resources: {
    PipelineCluster: { Type: 'AWS::ECS::Cluster' },
    PipelineTaskLogGroup: { Type: 'AWS::Logs::LogGroup' },
    RunsTable: { Type: 'AWS::DynamoDB::Table' },
    PipelineStateMachineRole: { Type: 'AWS::IAM::Role' },
  },
});

const inputs: PipelineTaskInputs = {
  service: 'svc',
  stage: 'test',
  registry,
  settings: { existingBucketName: '', taskEnvironment: { orders: { WAREHOUSE: 'redshift' } } },
  imageOf: (_name, image) => (typeof image === 'string' ? image : 'built'),
  builtImageRepositoryArn: { 'Fn::GetAtt': ['ImageRepository', 'Arn'] },
};

const resources = pipelineTaskResources(template(), inputs) as Record<string, { Type: string; Properties: any }>;
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (roleId: string): Statement[] =>
  resources[roleId]!.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe('a pipeline with every container field', () => {
  const definition = resources.PipelineOrdersTaskDefinition!.Properties;
  const container = definition.ContainerDefinitions[0];

  it('gets a task definition of its own with its image, architecture, size and storage', () => {
    expect(definition).toMatchObject({
      Family: 'svc-test-orders',
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '512',
      Memory: '1024',
      EphemeralStorage: { SizeInGiB: 50 },
      ExecutionRoleArn: { 'Fn::GetAtt': ['PipelineOrdersExecutionRole', 'Arn'] },
      TaskRoleArn: { 'Fn::GetAtt': ['PipelineOrdersTaskRole', 'Arn'] },
    });
    expect(container).toMatchObject({
      Name: 'orders',
      Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.4.2',
      Essential: true,
    });
    expect(container.LogConfiguration.Options['awslogs-stream-prefix']).toBe('orders');
    expect(definition.Tags).toContainEqual({ Key: 'team', Value: 'data-platform' });
  });

  it('passes its secrets as Secrets with full ARNs, never as Environment', () => {
    expect(container.Secrets).toEqual([
      { Name: 'DB_PASSWORD', ValueFrom: DB_SECRET },
      {
        Name: 'API_TOKEN',
        ValueFrom: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/orders/api-token' },
      },
      { Name: 'SIGNING_KEY', ValueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/orders/signing' },
    ]);
    const names = container.Environment.map((e: { Name: string }) => e.Name);
    expect(names).toEqual(['STAGE', 'UPLOADS_BUCKET', 'STAGING_BUCKET', 'WAREHOUSE']);
    expect(JSON.stringify(container.Environment)).not.toContain('secretsmanager');
  });

  it('lets its execution role read exactly its secrets, decrypt with their key, and pull from its own repository', () => {
    const statements = statementsOf('PipelineOrdersExecutionRole');
    expect(statements.find((s) => s.Sid === 'ReadSecrets')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: [DB_SECRET, `${DB_SECRET}-??????`],
    });
    expect(statements.find((s) => s.Sid === 'ReadParameters')).toMatchObject({
      Action: 'ssm:GetParameters',
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/orders/api-token' },
        'arn:aws:ssm:eu-west-1:123456789012:parameter/orders/signing',
      ],
    });
    expect(statements.find((s) => s.Sid === 'DecryptSecrets')).toMatchObject({ Action: 'kms:Decrypt', Resource: [KEY] });
    expect(statements.find((s) => s.Sid === 'PullImage')?.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/orders',
    });
  });

  it("gives its task role its own statements (pseudo parameters filled in, policy variables kept) and no other pipeline's", () => {
    const statements = statementsOf('PipelineOrdersTaskRole');
    expect(statements).toContainEqual(ORDERS_POLICY);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::reference-${AWS::Region}/*' },
      Condition: { StringEquals: { 's3:ExistingObjectTag/owner': '${aws:userid}' } },
    });
    expect(actionsOf(statements)).not.toContain('sns:Publish');
    expect(actionsOf(statementsOf('PipelineSharedTaskRole'))).not.toContain('sqs:SendMessage');
    // A callback pipeline calls back; its reads and writes are under its own prefixes.
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']),
    );
    expect(JSON.stringify(statements.find((s) => s.Sid === 'ReadBatchFiles'))).toContain('/in/orders/*');
    expect(JSON.stringify(statements.find((s) => s.Sid === 'WriteStagingAndRejects'))).not.toContain('inventory');
  });
});

describe('pipelines that share a task definition', () => {
  it("get one task definition sized for the largest, whose roles hold both pipelines' needs once", () => {
    const definitions = Object.values(resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
    expect(definitions.map((d) => d.Properties.Family)).toEqual(['svc-test-orders', 'svc-test-shared']);
    expect(resources.PipelineSharedTaskDefinition!.Properties).toMatchObject({ Cpu: '1024', Memory: '4096' });
    const statements = statementsOf('PipelineSharedTaskRole');
    // Declared by both, granted once; sync pipelines never call back; no image repository to pull from.
    expect(actionsOf(statements).filter((a) => a === 'sns:Publish')).toHaveLength(1);
    expect(actionsOf(statements).some((a) => a.startsWith('states:'))).toBe(false);
    expect(JSON.stringify(statements)).toContain('staging/returns/');
    expect(actionsOf(statementsOf('PipelineSharedExecutionRole')).some((a) => a.startsWith('ecr:'))).toBe(false);
  });
});

describe('the state machine launch policy', () => {
  const statements = resources.PipelineTaskLaunchPolicy!.Properties.PolicyDocument.Statement as Statement[];

  it('attaches to the state machine role', () => {
    expect(resources.PipelineTaskLaunchPolicy!.Properties.Roles).toEqual([{ Ref: 'PipelineStateMachineRole' }]);
  });

  it("runs exactly the generated families, in this stack's cluster", () => {
    expect(statements[0]).toEqual({
      Sid: 'RunPipelineTasks',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/svc-test-orders:*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/svc-test-shared:*' },
      ],
      Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': ['PipelineCluster', 'Arn'] } } },
    });
  });

  it('passes exactly their task and execution roles, to ECS tasks only', () => {
    expect(statements[1]).toEqual({
      Sid: 'PassTaskRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: ['PipelineOrdersTaskRole', 'PipelineOrdersExecutionRole', 'PipelineSharedTaskRole', 'PipelineSharedExecutionRole'].map(
        (id) => ({ 'Fn::GetAtt': [id, 'Arn'] }),
      ),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  });
});

describe('generation prerequisites', () => {
  it('fails naming the resource the template lacks', () => {
    const partial = template();
    delete partial.Resources.RunsTable;
    expect(() => pipelineTaskResources(partial, inputs)).toThrow(StackGenerationError);
    expect(() => pipelineTaskResources(partial, inputs)).toThrow('stack/pipeline-tasks.ts needs resource RunsTable');
  });

  it('grants a partial Secrets Manager ARN through its random suffix and a JSON key through its secret', () => {
    expect(secretGrant(`${DB_SECRET}:password::`).resources).toEqual([DB_SECRET, `${DB_SECRET}-??????`]);
    expect(secretGrant(`${DB_SECRET}:password::`).valueFrom).toBe(`${DB_SECRET}:password::`);
  });
});
