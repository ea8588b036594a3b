/**
 * Events and queue triggers in the packaged template: the shipped registry (order-batch-closed,
 * on the default bus) plus a pipeline on a bus the stack creates and a FIFO queue pipeline.
 * Rules carry the registry's pattern and a target with a retry policy and the events DLQ; the
 * DLQ takes messages from those rules only; queues redrive to their DLQs and feed a mapping
 * that reports batch item failures; everything is encrypted with one key; the two functions
 * hold exactly what they use; every DLQ is alarmed; cfn-lint is clean.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cfnLint, packageService, projectRoot, type CfnTemplate, type PackageResult } from '../helpers/package-service';

const TASK = `
    task:
      container: app
      image: public.ecr.aws/docker/library/node:22-slim
      cpu: 256
      memory: 512
      launch: sync
      timeoutSeconds: 600`;
const ADDED = `
  refunds-issued:
    trigger:
      events:
        bus: payments
        pattern: { source: [com.acme.payments], detail-type: [RefundIssued], detail: { amount: [{ numeric: [">", 0] }] } }
        batchKey: $.id${TASK}
  order-requests:
    trigger:
      queue:
        batchKey: $.batch
        fifo: true
        maxReceiveCount: 5${TASK}
`;

let dev: PackageResult;
let template: CfnTemplate;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'registry-')), 'pipelines.yml');
  writeFileSync(file, readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${ADDED}\n`));
  dev = await packageService({ stage: 'dev', env: { PIPELINES_FILE: file } });
  template = dev.template;
}, 300_000);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };
const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the template`);
  return found;
};
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const statementsOf = (roleId: string): Statement[] =>
  resource(roleId).Properties.Policies.flatMap((p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement);

it('passes cfn-lint with no errors', async () => {
  expect((await cfnLint(dev.templatePath)).errors).toEqual([]);
}, 120_000);

describe('events', () => {
  it('a rule per events pipeline with its pattern, on its bus, targeting startFromEvent with the pipeline and the whole event', () => {
    const rule = resource('OrderBatchClosedEventRule').Properties;
    expect(rule).toMatchObject({
      Name: 'ecs-pipelines-dev-order-batch-closed',
      State: 'ENABLED',
      EventPattern: { source: ['com.acme.orders'], 'detail-type': ['OrderBatchClosed'], detail: { data: { region: ['AU', 'NZ'] } } },
    });
    expect(rule).not.toHaveProperty('EventBusName');
    expect(rule.Targets).toEqual([
      {
        Id: 'start-run',
        Arn: getAtt('StartFromEventLambdaFunction'),
        InputTransformer: { InputTemplate: '{"pipeline":"order-batch-closed","event":<aws.events.event.json>}' },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
        DeadLetterConfig: { Arn: getAtt('PipelineEventsDeadLetterQueue') },
      },
    ]);
    // A bus named in the registry is created, and the rule listens on it.
    expect(resource('PaymentsEventBus')).toEqual({ Type: 'AWS::Events::EventBus', Properties: { Name: 'payments' } });
    expect(resource('RefundsIssuedEventRule').Properties.EventBusName).toEqual({ Ref: 'PaymentsEventBus' });
  });

  it('only its own rule may invoke startFromEvent, and only the rules may write the events DLQ (TLS only)', () => {
    for (const rule of ['OrderBatchClosedEventRule', 'RefundsIssuedEventRule']) {
      expect(resource(`${rule}Permission`).Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt('StartFromEventLambdaFunction'),
        Principal: 'events.amazonaws.com',
        SourceArn: getAtt(rule),
      });
    }
    const [allow, deny] = resource('PipelineEventsDeadLetterQueuePolicy').Properties.PolicyDocument.Statement as Statement[];
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
    expect(allow!.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': expect.arrayContaining([getAtt('OrderBatchClosedEventRule'), getAtt('RefundsIssuedEventRule')]) },
    });
    expect((allow!.Condition as { ArnEquals: { 'aws:SourceArn': unknown[] } }).ArnEquals['aws:SourceArn']).toHaveLength(2);
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    // startFromEvent's own failures (after Lambda's two retries) go to the same queue.
    const config = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.FunctionName.Ref === 'StartFromEventLambdaFunction',
    );
    expect(config!.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: getAtt('PipelineEventsDeadLetterQueue') } },
    });
  });
});

describe('queue', () => {
  it("the pipeline's FIFO queue redrives to its FIFO DLQ after maxReceiveCount, both encrypted with the triggers' key", () => {
    const queue = resource('OrderRequestsRunsQueue').Properties;
    expect(queue).toMatchObject({
      QueueName: 'ecs-pipelines-dev-order-requests-runs.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: getAtt('OrderRequestsRunsDeadLetterQueue'), maxReceiveCount: 5 },
      KmsMasterKeyId: { Ref: 'PipelineTriggersKey' },
    });
    expect(resource('OrderRequestsRunsDeadLetterQueue').Properties).toMatchObject({
      QueueName: 'ecs-pipelines-dev-order-requests-runs-dlq.fifo',
      FifoQueue: true,
      KmsMasterKeyId: { Ref: 'PipelineTriggersKey' },
    });
    expect(resource('PipelineEventsDeadLetterQueue').Properties.KmsMasterKeyId).toEqual({ Ref: 'PipelineTriggersKey' });
    expect(resource('PipelineTriggersKey').Properties.EnableKeyRotation).toBe(true);
    const [deny] = resource('OrderRequestsRunsQueuePolicy').Properties.PolicyDocument.Statement as Statement[];
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Resource: [getAtt('OrderRequestsRunsQueue'), getAtt('OrderRequestsRunsDeadLetterQueue')],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('an event source mapping to startFromQueue that reports batch item failures', () => {
    expect(resource('OrderRequestsRunsQueueEventSourceMapping').Properties).toEqual({
      EventSourceArn: getAtt('OrderRequestsRunsQueue'),
      FunctionName: { Ref: 'StartFromQueueLambdaFunction' },
      BatchSize: 10,
      Enabled: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('least privilege', () => {
  const RUN_LOCK = [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'states:StartExecution',
    'states:DescribeExecution',
  ];
  const grants = (roleId: string) =>
    statementsOf(roleId)
      .filter((s) => ![s.Action].flat().every((a) => a.startsWith('logs:')))
      .map((s) => ({ actions: [s.Action].flat().sort(), resource: s.Resource }));

  it('startFromEvent: the run lock and the state machine, its DLQ and the key; no batch table, no wildcard', () => {
    const statements = grants('StartFromEventIamRoleLambdaExecution');
    expect(
      statements
        .flatMap((s) => s.actions)
        .filter((a) => !RUN_LOCK.includes(a))
        .sort(),
    ).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'sqs:SendMessage']);
    expect(statements).toContainEqual({ actions: ['sqs:SendMessage'], resource: getAtt('PipelineEventsDeadLetterQueue') });
    expect(statements).toContainEqual({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: getAtt('PipelineTriggersKey') });
    expect(JSON.stringify(statements)).not.toContain('BatchesTable');
    expect(statements.every((s) => s.resource !== '*')).toBe(true);
  });

  it("startFromQueue: receives and deletes on the pipelines' queues only, decrypts with the key", () => {
    const statements = grants('StartFromQueueIamRoleLambdaExecution');
    expect(statements).toContainEqual({
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      resource: [getAtt('OrderRequestsRunsQueue')],
    });
    expect(statements).toContainEqual({ actions: ['kms:Decrypt'], resource: getAtt('PipelineTriggersKey') });
    expect(
      statements
        .flatMap((s) => s.actions)
        .filter((a) => !RUN_LOCK.includes(a))
        .sort(),
    ).toEqual(['kms:Decrypt', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    expect(statements.every((s) => s.resource !== '*')).toBe(true);
  });

  it('opsRedriveDlq: receives, releases and deletes on the events DLQ and decrypts with its key, and is given its URL', () => {
    const statements = grants('OpsRedriveDlqIamRoleLambdaExecution');
    const onEvents = statements.filter((s) => JSON.stringify(s.resource).includes('PipelineEventsDeadLetterQueue'));
    expect(onEvents).toEqual([
      {
        actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage'],
        resource: getAtt('PipelineEventsDeadLetterQueue'),
      },
    ]);
    const onKey = statements.filter((s) => JSON.stringify(s.resource).includes('PipelineTriggersKey'));
    expect(onKey).toEqual([{ actions: ['kms:Decrypt'], resource: getAtt('PipelineTriggersKey') }]);
    // No other queue, key or encryption grant came with it.
    expect(statements.flatMap((s) => s.actions).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt']);
    expect(JSON.stringify(statements)).not.toContain('RunsQueue');
    expect(template.Resources.OpsRedriveDlqLambdaFunction!.Properties.Environment.Variables.DEAD_LETTER_QUEUES).toEqual({
      'Fn::Join': [
        '',
        [
          '{"watcher":"',
          { Ref: 'WatcherDeadLetterQueue' },
          '","fan-in":"',
          { Ref: 'FanInDeadLetterQueue' },
          '","start":"',
          { Ref: 'StartDeadLetterQueue' },
          '"',
          { 'Fn::Join': ['', [',"events":"', { Ref: 'PipelineEventsDeadLetterQueue' }, '"']] },
          '}',
        ],
      ],
    });
  });

  it('EventBridge may use the key only for this stack’s rules', () => {
    const statements = resource('PipelineTriggersKey').Properties.KeyPolicy.Statement as Statement[];
    const events = statements.find((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'))!;
    expect(events.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(events.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*ecs-pipelines-dev-*' },
      },
    });
  });
});

it('every new dead-letter queue has its alarm', () => {
  const alarmed = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .flatMap((r) => (r.Properties.Dimensions ?? []).map((d: { Value: unknown }) => JSON.stringify(d.Value)));
  for (const dlq of ['PipelineEventsDeadLetterQueue', 'OrderRequestsRunsDeadLetterQueue']) {
    expect(alarmed.some((value) => value.includes(`"${dlq}"`))).toBe(true);
  }
});
