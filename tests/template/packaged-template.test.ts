/**
 * The packaged CloudFormation template, checked without deploying: what `sls deploy`
 * would send is lint-clean, least-privilege, encrypted, and every consumer has a
 * dead-letter path.
 */
import { cfnLint, FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

let template: CfnTemplate;
let templatePath: string;
let leftInTempDir: string[];

beforeAll(async () => {
  ({ template, templatePath, leftInTempDir } = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS }));
}, 180_000);

const resourcesOfType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };

/** Every IAM statement in the template with where it came from. */
function allStatements(): Array<{ where: string; statement: Statement }> {
  const found: Array<{ where: string; statement: Statement }> = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const docs: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Role') docs.push(...(resource.Properties?.Policies ?? []).map((p: any) => p.PolicyDocument));
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') docs.push(resource.Properties?.PolicyDocument);
    for (const doc of docs as Array<{ Statement: Statement[] }>) {
      for (const statement of doc?.Statement ?? []) found.push({ where: id, statement });
    }
  }
  return found;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();

/**
 * Actions AWS offers no resource-level permission for, so `Resource: '*'` is the
 * narrowest possible. Anything else on '*' fails the test.
 */
const NO_RESOURCE_LEVEL = new Set([
  // CloudWatch Logs vended delivery (Step Functions logging) and X-Ray.
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // ECR auth token, CloudWatch metrics reads/writes, ENI describes, ECS describes.
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeInstances',
  'ecs:ListServices',
  'ecs:DescribeTaskDefinition',
  'ecs:ListClusters',
  'application-autoscaling:DescribeScalingPolicies',
  'application-autoscaling:PutScalingPolicy',
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
]);

/** Actions whose only scoping is a condition key: allowed on '*' with that condition set. */
const SCOPED_BY_CONDITION: Record<string, string> = {
  'ecs:ListTasks': 'ecs:cluster',
  'ecs:ListServices': 'ecs:cluster',
};

describe('packaged template', () => {
  it('passes cfn-lint with no errors', async () => {
    const { errors } = await cfnLint(templatePath);
    expect(errors).toEqual([]);
  }, 120_000);

  it('leaves nothing behind in the temp directory (no <function>-<pid>-<time> staging folders)', () => {
    // serverless-esbuild stages each function's zip in a temp folder (patches/serverless-esbuild+*.patch).
    expect(leftInTempDir).toEqual([]);
  });

  it('runs every function on nodejs22.x, arm64, with its own role', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(3);
    const roles = new Set<string>();
    for (const [id, fn] of functions) {
      expect({ id, runtime: fn.Properties.Runtime, arch: fn.Properties.Architectures }).toEqual({
        id,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
      });
      const role = JSON.stringify(fn.Properties.Role);
      expect(role).not.toContain('"IamRoleLambdaExecution"');
      roles.add(role);
    }
    expect(roles.size).toBe(functions.length);
  });

  it("lets only the guard's own rule deliver its dead letters", () => {
    const statement = template.Resources.GuardDeadLetterQueuePolicy!.Properties.PolicyDocument.Statement.find(
      (st: any) => st.Effect === 'Allow',
    );
    const rule = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets).includes('GuardDeadLetterQueue'),
    )!;
    expect(JSON.stringify(statement.Condition.ArnEquals['aws:SourceArn'])).toContain(`rule/${rule.Properties.Name}`);
  });

  it('has no IAM role that nothing uses', () => {
    const rest = (id: string) => JSON.stringify(Object.entries(template.Resources).filter(([other]) => other !== id));
    const unused = resourcesOfType('AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) => !rest(id).includes(`"${id}"`));
    expect(unused).toEqual([]);
  });

  it('grants no IAM action "*" and no service wildcard', () => {
    const offenders = allStatements().filter(
      ({ statement }) => actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')) && statement.Effect === 'Allow',
    );
    expect(offenders).toEqual([]);
  });

  it('uses Resource "*" only for actions AWS offers nothing narrower for', () => {
    const offenders = allStatements()
      .filter(({ statement }) => statement.Effect === 'Allow' && resourcesOf(statement).includes('*'))
      .flatMap(({ where, statement }) =>
        actionsOf(statement)
          .filter((a) => !NO_RESOURCE_LEVEL.has(a))
          .filter((a) => !(SCOPED_BY_CONDITION[a] && JSON.stringify(statement.Condition ?? {}).includes(`"${SCOPED_BY_CONDITION[a]}"`)))
          .map((a) => `${where}: ${a}`),
      );
    expect(offenders).toEqual([]);
  });

  it('never allows iam:PassRole on "*" and scopes it to ECS tasks', () => {
    const passRole = allStatements().filter(
      ({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).includes('iam:PassRole'),
    );
    for (const { where, statement } of passRole) {
      expect({ where, resources: resourcesOf(statement) }).not.toEqual({ where, resources: expect.arrayContaining(['*']) });
    }
  });

  it('configures the fan-in stream mapping explicitly, with a dead-letter queue', () => {
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('FileArrivalStream'),
    );
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties).toMatchObject({
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 2,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FanInDeadLetterQueue', 'Arn'] } } },
    });
  });

  it('gives every stream and queue consumer a dead-letter path', () => {
    for (const [id, mapping] of resourcesOfType('AWS::Lambda::EventSourceMapping')) {
      const source = JSON.stringify(mapping.Properties.EventSourceArn);
      if (mapping.Properties.StartingPosition) {
        // Streams: an on-failure destination, bounded retries and record age.
        expect({ id, dlq: mapping.Properties.DestinationConfig?.OnFailure?.Destination }).toEqual({ id, dlq: expect.anything() });
        expect(mapping.Properties.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
        expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
      } else {
        // Queues: the source queue redrives to a DLQ and the consumer reports partial failures.
        const queueId = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(source)?.[1];
        expect({ id, queueId }).toEqual({ id, queueId: expect.any(String) });
        const queue = template.Resources[queueId!]!;
        expect({ id, redrive: queue.Properties?.RedrivePolicy }).toEqual({ id, redrive: expect.anything() });
        expect({ id, types: mapping.Properties.FunctionResponseTypes }).toEqual({ id, types: ['ReportBatchItemFailures'] });
      }
    }
  });

  it('gives every asynchronously invoked function an on-failure destination', () => {
    const asyncTargets = new Set<string>();
    for (const [, permission] of resourcesOfType('AWS::Lambda::Permission')) {
      const principal = permission.Properties.Principal;
      if (['s3.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com'].includes(principal)) {
        const fn = JSON.stringify(permission.Properties.FunctionName).match(/"([A-Za-z0-9]+LambdaFunction)"/)?.[1];
        if (fn) asyncTargets.add(fn);
      }
    }
    expect(asyncTargets.has('S3UploadWatcherLambdaFunction')).toBe(true);
    const configured = new Map(
      resourcesOfType('AWS::Lambda::EventInvokeConfig').map(([, c]) => [JSON.stringify(c.Properties.FunctionName), c.Properties]),
    );
    for (const fn of asyncTargets) {
      const config = [...configured.entries()].find(([name]) => name.includes(fn.replace('LambdaFunction', '')))?.[1];
      expect({ fn, onFailure: config?.DestinationConfig?.OnFailure?.Destination }).toEqual({ fn, onFailure: expect.anything() });
    }
  });

  it('encrypts the stream, tables, queues, topics and bucket at rest', () => {
    for (const [id, stream] of resourcesOfType('AWS::Kinesis::Stream')) {
      expect({ id, enc: stream.Properties.StreamEncryption?.EncryptionType }).toEqual({ id, enc: 'KMS' });
    }
    for (const [id, table] of resourcesOfType('AWS::DynamoDB::Table')) {
      expect({
        id,
        sse: table.Properties.SSESpecification?.SSEEnabled,
        pitr: table.Properties.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled,
        ttl: table.Properties.TimeToLiveSpecification?.Enabled,
      }).toEqual({ id, sse: true, pitr: true, ttl: true });
      expect({ id, billing: table.Properties.BillingMode }).toEqual({ id, billing: 'PAY_PER_REQUEST' });
    }
    for (const [id, queue] of resourcesOfType('AWS::SQS::Queue')) {
      const encrypted = queue.Properties?.SqsManagedSseEnabled === true || queue.Properties?.KmsMasterKeyId !== undefined;
      expect({ id, encrypted }).toEqual({ id, encrypted: true });
    }
    for (const [id, topic] of resourcesOfType('AWS::SNS::Topic')) {
      expect({ id, key: topic.Properties?.KmsMasterKeyId }).toEqual({ id, key: expect.anything() });
    }
    const [, bucket] = resourcesOfType('AWS::S3::Bucket').find(([id]) => id === 'UploadsBucket')!;
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      'AES256',
    );
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('keeps dead-letter queues for 14 days', () => {
    const dlqs = resourcesOfType('AWS::SQS::Queue').filter(([id]) => /DeadLetter|Dlq/i.test(id));
    expect(dlqs.length).toBeGreaterThanOrEqual(3);
    for (const [id, queue] of dlqs) expect({ id, retention: queue.Properties.MessageRetentionPeriod }).toEqual({ id, retention: 1209600 });
  });

  it('denies non-TLS access to the bucket and queues', () => {
    const policies = [...resourcesOfType('AWS::S3::BucketPolicy'), ...resourcesOfType('AWS::SQS::QueuePolicy')];
    const denies = policies
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(denies.length).toBeGreaterThanOrEqual(2);
  });

  it('gives each queue one QueuePolicy under any condition (SQS keeps one policy per queue: a second overwrites the first)', () => {
    // Conditions as literal sets (`C` or `!C`); two references can coexist unless one holds C and the other !C.
    const refs: Array<{ policy: string; queue: string; when: string[] }> = [];
    for (const [id, policy] of resourcesOfType('AWS::SQS::QueuePolicy')) {
      const base = policy.Condition ? [policy.Condition as string] : [];
      for (const entry of policy.Properties.Queues as any[]) {
        if (entry?.Ref) refs.push({ policy: id, queue: entry.Ref, when: base });
        const branches = entry?.['Fn::If'];
        if (branches) {
          const [condition, yes, no] = branches;
          if (yes?.Ref && yes.Ref !== 'AWS::NoValue') refs.push({ policy: id, queue: yes.Ref, when: [...base, condition] });
          if (no?.Ref && no.Ref !== 'AWS::NoValue') refs.push({ policy: id, queue: no.Ref, when: [...base, `!${condition}`] });
        }
      }
    }
    const exclusive = (a: string[], b: string[]) => a.some((c) => b.includes(c.startsWith('!') ? c.slice(1) : `!${c}`));
    const clashes = refs.flatMap((a, i) =>
      refs
        .slice(i + 1)
        .filter((b) => b.queue === a.queue && b.policy !== a.policy && !exclusive(a.when, b.when))
        .map((b) => `${a.queue}: ${a.policy} and ${b.policy}`),
    );
    expect(clashes).toEqual([]);
  });

  it('notifies the watcher for each watched prefix of the uploads bucket', () => {
    const bucket = template.Resources.UploadsBucket!;
    const configs = bucket.Properties.NotificationConfiguration.LambdaConfigurations;
    expect(configs.map((c: any) => c.Filter?.S3Key?.Rules?.[0]?.Value)).toEqual([
      'incoming/acme/',
      'incoming/inventory/',
      'incoming/inventory-parts/',
    ]);
    expect(configs.every((c: any) => c.Event === 's3:ObjectCreated:*')).toBe(true);
  });

  it('schedules start-pipeline for each pipeline that declares a schedule, in its time zone', () => {
    const schedules = resourcesOfType('AWS::Scheduler::Schedule');
    const inputs = schedules.map(([, s]) => JSON.parse(s.Properties.Target.Input));
    // The firing's own scheduled time reaches the handler, so retries of one firing share a run key.
    expect(inputs).toContainEqual({ pipeline: 'inventory-snapshot', trigger: 'schedule', time: '<aws.scheduler.scheduled-time>' });
    const inventory = schedules.find(([, s]) => s.Properties.Target.Input.includes('inventory-snapshot'))![1].Properties;
    expect(inventory.ScheduleExpression).toBe('cron(0 6 * * ? *)');
    expect(inventory).toMatchObject({
      Name: 'ecs-pipelines-dev-inventory-snapshot',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(schedules.map(([, s]) => JSON.parse(s.Properties.Target.Input).pipeline).sort()).toEqual(['inventory-snapshot', 'orders-daily']);
    // Nothing else invokes start-pipeline on a schedule (the EventBridge rules read UTC only).
    const rulesToStart = resourcesOfType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes('StartPipelineLambdaFunction'),
    );
    expect(rulesToStart).toEqual([]);
  });

  it('dispatches queued runs when an execution of this stack ends, and every 5 minutes', () => {
    const fn = template.Resources.DispatchRunsLambdaFunction!;
    expect(fn).toBeDefined();
    const rules = resourcesOfType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes('DispatchRunsLambdaFunction'),
    );
    const pattern = rules.map(([, r]) => r.Properties.EventPattern).find(Boolean);
    expect(pattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: 'PipelineStateMachine' }], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression).filter(Boolean)).toEqual(['rate(5 minutes)']);
    // Its own dead letters (the event's delivery, and the function's async failures).
    const eventTarget = rules.flatMap(([, r]) => r.Properties.Targets).find((t: any) => t.DeadLetterConfig);
    expect(eventTarget.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['DispatchDeadLetterQueue', 'Arn'] } });
    // Every function that may start runs reads the queue index and knows the stack-wide limit.
    for (const id of [
      'KinesisFanInLambdaFunction',
      'StartPipelineLambdaFunction',
      'OpsRerunBatchLambdaFunction',
      'OpsRedriveDlqLambdaFunction',
      'DispatchRunsLambdaFunction',
      'SweepIncompleteBatchesLambdaFunction',
    ]) {
      const role = template.Resources[template.Resources[id]!.Properties.Role['Fn::GetAtt'][0]]!;
      const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      expect({
        id,
        queue: statements.some(
          (st: any) => [st.Action].flat().includes('dynamodb:Query') && JSON.stringify(st.Resource).includes('/index/queue-queueSeq'),
        ),
      }).toEqual({ id, queue: true });
      expect({ id, env: String(template.Resources[id]!.Properties.Environment.Variables.MAX_CONCURRENT_RUNS) }).toEqual({ id, env: '0' });
    }
  });

  it('lets opsBackfill list the watched prefixes of the uploads bucket, and read no object', () => {
    const fn = template.Resources.OpsBackfillLambdaFunction!;
    const role = template.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const s3 = statements.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Condition: { StringLike: { 's3:prefix': ['incoming/acme/*', 'incoming/inventory/*', 'incoming/inventory-parts/*'] } },
      }),
    ]);
    expect(JSON.stringify(s3[0].Resource)).toContain('arn:${AWS::Partition}:s3:::${Bucket}');
  });

  it('lets the fan-in (and the redrive that replays it) list only the marker folders and read no manifest the registry does not name', () => {
    for (const id of ['KinesisFanInLambdaFunction', 'OpsRedriveDlqLambdaFunction']) {
      const role = template.Resources[template.Resources[id]!.Properties.Role['Fn::GetAtt'][0]]!;
      const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      const s3 = statements.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
      // The shipped registry has a marker pipeline (inventory-parts) and no manifest pipeline.
      expect({ id, s3 }).toEqual({
        id,
        s3: [
          { Effect: 'Deny', Action: ['s3:GetObject'], Resource: '*' },
          {
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: [
              expect.objectContaining({ 'Fn::Sub': [expect.stringContaining('arn:${AWS::Partition}:s3:::${Bucket}'), expect.anything()] }),
            ],
            Condition: { StringLike: { 's3:prefix': ['incoming/inventory-parts/*/*'] } },
          },
        ],
      });
    }
  });

  it('lets the sweeper start the runs of quiet batches: the run lock and the state machine, nothing wider', () => {
    const fn = template.Resources.SweepIncompleteBatchesLambdaFunction!;
    const role = template.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['states:StartExecution'], Resource: { Ref: 'PipelineStateMachine' } });
    expect(statements.every((st: any) => st.Resource !== '*')).toBe(true);
    expect(fn.Properties.Environment.Variables).toMatchObject({ STATE_MACHINE_ARN: { Ref: 'PipelineStateMachine' } });
  });

  it('retries an undelivered firing, then keeps it in an alarmed dead-letter queue', () => {
    for (const [id, schedule] of resourcesOfType('AWS::Scheduler::Schedule')) {
      const target = schedule.Properties.Target;
      expect({ id, target: { Arn: target.Arn, RetryPolicy: target.RetryPolicy, DeadLetterConfig: target.DeadLetterConfig } }).toEqual({
        id,
        target: {
          Arn: { 'Fn::GetAtt': ['StartPipelineLambdaFunction', 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['PipelineSchedulesDeadLetterQueue', 'Arn'] } },
        },
      });
    }
    expect(template.Resources.PipelineSchedulesDeadLetterQueue).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { SqsManagedSseEnabled: true },
    });
    const alarmed = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties.Dimensions ?? []));
    expect(alarmed.some((dimensions) => dimensions.includes('PipelineSchedulesDeadLetterQueue'))).toBe(true);
  });

  it("gives the schedules one role that may invoke start-pipeline and write the schedules' DLQ, nothing else", () => {
    const roles = new Set(resourcesOfType('AWS::Scheduler::Schedule').map(([, s]) => JSON.stringify(s.Properties.Target.RoleArn)));
    expect([...roles]).toEqual([JSON.stringify({ 'Fn::GetAtt': ['PipelineSchedulesRole', 'Arn'] })]);
    const role = template.Resources.PipelineSchedulesRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/default/ecs-pipelines-dev-*',
            },
          },
        },
      }),
    ]);
    const statements = role.Policies.flatMap((p: any) => p.PolicyDocument.Statement).map((st: Statement) => ({
      Action: st.Action,
      Resource: st.Resource,
    }));
    expect(statements).toEqual([
      { Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['StartPipelineLambdaFunction', 'Arn'] } },
      { Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['PipelineSchedulesDeadLetterQueue', 'Arn'] } },
    ]);
  });
});
