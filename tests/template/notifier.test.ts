/**
 * The ECS service task notifier as `sls package` compiles it (issue 6): IAM scoped to this
 * stack's cluster, the secret readable by notifyTask alone, every queue consumer with
 * partial batch responses and an encrypted DLQ, and notifyTask deployable inside the tasks'
 * VPC (security group, ENI permissions, endpoints for every service it calls).
 */
import { cfnLint, FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resource = CfnTemplate['Resources'][string];

let template: CfnTemplate;
let templatePath: string;

beforeAll(async () => {
  ({ template, templatePath } = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS }));
}, 180_000);

const resource = (id: string): Resource => {
  const found = template.Resources[id];
  if (!found) throw new Error(`packaged template has no resource ${id}`);
  return found;
};
const actionsOf = (s: Statement) => [s.Action].flat();
const resourcesOf = (s: Statement) => [s.Resource].flat();
const getAttId = (value: unknown): string | undefined => (value as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];

/** Logical ids of the three notifier functions, found by handler so renames in the yml stay covered. */
const NOTIFIER_HANDLERS = {
  discoverServices: 'handlers/discover-services.handler',
  discoverTasks: 'handlers/discover-tasks.handler',
  notifyTask: 'handlers/notify-task.handler',
} as const;
type NotifierFunction = keyof typeof NOTIFIER_HANDLERS;

function functionId(name: NotifierFunction): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === NOTIFIER_HANDLERS[name])
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one function with handler ${NOTIFIER_HANDLERS[name]}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

function roleId(name: NotifierFunction): string {
  const id = getAttId(resource(functionId(name)).Properties.Role);
  if (!id) throw new Error(`${name}: Role is not a Fn::GetAtt of a role in this template`);
  return id;
}

/** Inline statements of a role, plus those of any AWS::IAM::Policy attached to it. */
function statementsOf(role: string): Statement[] {
  const inline = (resource(role).Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles ?? []).includes(`"${role}"`))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** Every Allow statement in the template, with the role or policy it belongs to. */
function allAllowStatements(): Array<{ where: string; statement: Statement }> {
  return Object.entries(template.Resources).flatMap(([id, r]) => {
    const docs =
      r.Type === 'AWS::IAM::Role'
        ? (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)
        : r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
          ? [r.Properties.PolicyDocument]
          : [];
    return (docs as Array<{ Statement: Statement[] }>).flatMap((d) =>
      d.Statement.filter((s) => s.Effect === 'Allow').map((statement) => ({ where: id, statement })),
    );
  });
}

const ARN_PREFIX = 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}';
const clusterName = () => resource('PipelineCluster').Properties.ClusterName as string;
const subString = (value: unknown): string | undefined => {
  const sub = (value as { 'Fn::Sub'?: unknown })?.['Fn::Sub'];
  return typeof sub === 'string' ? sub : undefined;
};

/** The ecs:cluster condition names this stack's cluster (by ARN string or by GetAtt). */
function namesStackCluster(statement: Statement): boolean {
  const value = statement.Condition?.ArnEquals?.['ecs:cluster'];
  return getAttId(value) === 'PipelineCluster' || subString(value) === `${ARN_PREFIX}:cluster/${clusterName()}`;
}

/** The ENI actions Lambda needs to attach a function to a VPC (AWS Lambda developer guide). */
const VPC_ENI_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface'];
const VPC_MANAGED_POLICY = ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole';
const ALL_NOTIFIERS = Object.keys(NOTIFIER_HANDLERS) as NotifierFunction[];

describe('notifier IAM', () => {
  it('lists services and tasks on "*" only under an ecs:cluster ArnEquals naming this stack\'s cluster', () => {
    const listing = ALL_NOTIFIERS.flatMap((fn) => statementsOf(roleId(fn)).map((s) => ({ fn, s }))).filter(({ s }) =>
      actionsOf(s).some((a) => a === 'ecs:ListServices' || a === 'ecs:ListTasks'),
    );
    expect(listing.flatMap(({ s }) => actionsOf(s)).sort()).toEqual(['ecs:ListServices', 'ecs:ListTasks']);
    for (const { fn, s } of listing) {
      expect({ fn, resource: s.Resource, clusterCondition: namesStackCluster(s) }).toEqual({ fn, resource: '*', clusterCondition: true });
    }
  });

  it('describes services, tasks and container instances of this cluster only', () => {
    const cluster = clusterName();
    const expected: Record<string, string> = {
      'ecs:DescribeServices': `${ARN_PREFIX}:service/${cluster}/*`,
      'ecs:DescribeTasks': `${ARN_PREFIX}:task/${cluster}/*`,
      'ecs:DescribeContainerInstances': `${ARN_PREFIX}:container-instance/${cluster}/*`,
    };
    const seen = new Set<string>();
    for (const fn of ALL_NOTIFIERS) {
      for (const s of statementsOf(roleId(fn))) {
        for (const action of actionsOf(s).filter((a) => a in expected)) {
          seen.add(action);
          expect({ fn, action, resources: resourcesOf(s).map((r) => subString(r) ?? r) }).toEqual({
            fn,
            action,
            resources: [expected[action]],
          });
        }
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(expected).sort());
  });

  it('uses Resource "*" only for DescribeTaskDefinition, ec2:DescribeInstances and the VPC ENI actions', () => {
    const allowedOnStar = new Set(['ecs:DescribeTaskDefinition', 'ec2:DescribeInstances', ...VPC_ENI_ACTIONS]);
    const offenders = ALL_NOTIFIERS.flatMap((fn) =>
      statementsOf(roleId(fn))
        .filter((s) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
        .flatMap((s) =>
          actionsOf(s)
            .filter((a) => !allowedOnStar.has(a) && !((a === 'ecs:ListServices' || a === 'ecs:ListTasks') && namesStackCluster(s)))
            .map((a) => `${fn}: ${a}`),
        ),
    );
    expect(offenders).toEqual([]);
    const wildcards = ALL_NOTIFIERS.flatMap((fn) => statementsOf(roleId(fn)).flatMap(actionsOf)).filter((a) => a.includes('*'));
    expect(wildcards).toEqual([]);
  });

  it('lets only notifyTask read the signing secret, and only that secret', () => {
    const readers = allAllowStatements().filter(({ statement }) =>
      actionsOf(statement).some((a) => /^secretsmanager:(GetSecretValue|\*)$/.test(a) || a === '*'),
    );
    expect(readers.map(({ where, statement }) => ({ where, resources: resourcesOf(statement) }))).toEqual([
      { where: roleId('notifyTask'), resources: [{ Ref: 'NotifierSigningSecret' }] },
    ]);
    expect(resource('NotifierSigningSecret').Type).toBe('AWS::SecretsManager::Secret');
  });

  it('gives notifyTask, and only notifyTask, the ENI permissions of a VPC function', () => {
    const eniGrants = (fn: NotifierFunction) => {
      const managed = JSON.stringify(resource(roleId(fn)).Properties.ManagedPolicyArns ?? []).includes(VPC_MANAGED_POLICY);
      const inline = VPC_ENI_ACTIONS.every((action) => statementsOf(roleId(fn)).some((s) => actionsOf(s).includes(action)));
      return managed || inline;
    };
    expect(ALL_NOTIFIERS.map((fn) => [fn, eniGrants(fn)])).toEqual([
      ['discoverServices', false],
      ['discoverTasks', false],
      ['notifyTask', true],
    ]);
  });
});

describe('notifier queues and table', () => {
  const notifierMappings = () =>
    Object.entries(template.Resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        ALL_NOTIFIERS.some((fn) => JSON.stringify(r.Properties.FunctionName).includes(`"${functionId(fn)}"`)),
    );

  it('reports partial batch failures on every notifier queue consumer', () => {
    const mappings = notifierMappings();
    expect(mappings).toHaveLength(3);
    for (const [id, mapping] of mappings)
      expect({ id, types: mapping.Properties.FunctionResponseTypes }).toEqual({ id, types: ['ReportBatchItemFailures'] });
  });

  it('redrives every notifier queue to an encrypted DLQ kept 14 days, and hides messages for 6x the consumer timeout', () => {
    const queues = notifierMappings().map(([, m]) => ({
      queue: getAttId(m.Properties.EventSourceArn)!,
      fn: getAttId(m.Properties.FunctionName)!,
    }));
    expect(queues.map((q) => q.queue).sort()).toEqual(['NotifierObserverQueue', 'NotifierServiceQueue', 'NotifierTaskQueue']);
    for (const { queue, fn } of queues) {
      const properties = resource(queue).Properties;
      const dlqId = getAttId(properties.RedrivePolicy?.deadLetterTargetArn);
      expect({ queue, dlq: dlqId, maxReceiveCount: properties.RedrivePolicy?.maxReceiveCount }).toEqual({
        queue,
        dlq: expect.any(String),
        maxReceiveCount: expect.any(Number),
      });
      const dlq = resource(dlqId!).Properties;
      expect({
        queue,
        dlqSse: dlq.SqsManagedSseEnabled === true || dlq.KmsMasterKeyId !== undefined,
        retention: dlq.MessageRetentionPeriod,
      }).toEqual({ queue, dlqSse: true, retention: 1209600 });
      expect({ queue, sse: properties.SqsManagedSseEnabled === true || properties.KmsMasterKeyId !== undefined }).toEqual({
        queue,
        sse: true,
      });
      // Lambda's guidance for SQS sources: a visibility timeout of at least 6x the function timeout.
      const timeout = resource(fn).Properties.Timeout as number;
      expect({ queue, visibility: properties.VisibilityTimeout >= 6 * timeout }).toEqual({ queue, visibility: true });
    }
  });

  it('keeps the audit table with TTL, point-in-time recovery and encryption', () => {
    expect(resource('NotifierAuditTable').Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe("notifyTask in the tasks' VPC", () => {
  it('runs in the task subnets (created, or param subnetIds) with the notifier security group', () => {
    const vpc = resource(functionId('notifyTask')).Properties.VpcConfig;
    expect(vpc.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': ['NotifierSecurityGroup', 'GroupId'] }]);
    expect(vpc.SubnetIds).toEqual({
      'Fn::Split': [',', { 'Fn::If': ['CreateNetwork', { 'Fn::Join': [',', [{ Ref: 'PublicSubnetA' }, { Ref: 'PublicSubnetB' }]] }, ''] }],
    });
    // The discovery functions call only AWS APIs: outside the VPC they need no endpoints.
    expect(resource(functionId('discoverServices')).Properties.VpcConfig).toBeUndefined();
    expect(resource(functionId('discoverTasks')).Properties.VpcConfig).toBeUndefined();
  });

  it('opens the notifier security group to nothing and lets it out only to VPC addresses and HTTPS', () => {
    const group = resource('NotifierSecurityGroup').Properties;
    expect(group.VpcId).toEqual({ 'Fn::If': ['CreateNetwork', { Ref: 'TaskVpc' }, { 'Fn::Join': ['', ['']] }] });
    expect(group.SecurityGroupIngress).toBeUndefined();
    type EgressRule = { when: string; IpProtocol?: string; CidrIp?: unknown; FromPort?: number; ToPort?: number };
    const rules = (group.SecurityGroupEgress as unknown[]).map((rule): EgressRule => {
      const conditional = (rule as { 'Fn::If'?: [string, Record<string, unknown>, unknown] })['Fn::If'];
      return conditional ? { when: conditional[0], ...conditional[1] } : { when: 'always', ...(rule as Record<string, unknown>) };
    });
    for (const rule of rules) expect({ rule, protocol: rule.IpProtocol }).toEqual({ rule, protocol: 'tcp' });
    // The internet only on 443; everything else stays inside private address space.
    const anywhere = rules.filter((r) => r.CidrIp === '0.0.0.0/0');
    expect(anywhere).toEqual([expect.objectContaining({ when: 'always', FromPort: 443, ToPort: 443 })]);
    expect(rules.find((r) => r.when === 'CreateNetwork')).toMatchObject({ CidrIp: { 'Fn::GetAtt': ['TaskVpc', 'CidrBlock'] } });
    expect(rules.filter((r) => r.when === 'NotifierTargetsPrivateRanges').map((r) => r.CidrIp)).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
    ]);
    expect(template.Outputs?.NotifierSecurityGroupId).toMatchObject({ Value: { 'Fn::GetAtt': ['NotifierSecurityGroup', 'GroupId'] } });
  });

  it('reaches every AWS service notifyTask calls through an endpoint of the created network', () => {
    // SQS is left out on purpose: the event source mapping receives and deletes outside the VPC.
    // CloudWatch Logs is written by the Lambda service from the function's stdout.
    const called = new Set(
      statementsOf(roleId('notifyTask'))
        .flatMap(actionsOf)
        .map((a) => a.split(':')[0]!)
        .filter((service) => !['logs', 'sqs'].includes(service)),
    );
    expect([...called].sort()).toEqual(['dynamodb', 'secretsmanager']);
    const endpoints = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::EC2::VPCEndpoint');
    for (const service of called) {
      const match = endpoints.find(([, r]) => r.Properties.ServiceName?.['Fn::Sub'] === `com.amazonaws.\${AWS::Region}.${service}`);
      expect({ service, endpoint: match?.[0], condition: match?.[1].Condition, vpc: match?.[1].Properties.VpcId }).toEqual({
        service,
        endpoint: expect.any(String),
        condition: 'CreateNetwork',
        vpc: { Ref: 'TaskVpc' },
      });
    }
  });

  it("routes DynamoDB through a gateway endpoint on the subnets' route table", () => {
    const [, gateway] = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties.VpcEndpointType === 'Gateway',
    )!;
    expect(gateway.Properties.RouteTableIds).toEqual([{ Ref: 'TaskPublicRouteTable' }]);
    for (const subnet of ['TaskPublicSubnetARoutes', 'TaskPublicSubnetBRoutes']) {
      expect(resource(subnet).Properties.RouteTableId).toEqual({ Ref: 'TaskPublicRouteTable' });
    }
  });

  it('serves Secrets Manager from an interface endpoint with private DNS that the notifier may call on 443', () => {
    const [, endpoint] = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties.VpcEndpointType === 'Interface',
    )!;
    expect(endpoint.Properties).toMatchObject({
      PrivateDnsEnabled: true,
      SubnetIds: [{ Ref: 'PublicSubnetA' }, { Ref: 'PublicSubnetB' }],
    });
    const [groupRef] = endpoint.Properties.SecurityGroupIds as Array<{ Ref: string }>;
    const group = resource(groupRef!.Ref);
    expect(group.Condition).toBe('CreateNetwork');
    expect(group.Properties.SecurityGroupIngress).toContainEqual(
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { 'Fn::GetAtt': ['NotifierSecurityGroup', 'GroupId'] },
      }),
    );
    for (const rule of group.Properties.SecurityGroupIngress as Array<Record<string, unknown>>) {
      expect({ rule, open: 'CidrIp' in rule }).toEqual({ rule, open: false });
    }
  });

  it('passes cfn-lint with no errors', async () => {
    const { errors } = await cfnLint(templatePath);
    expect(errors).toEqual([]);
  }, 120_000);
});
