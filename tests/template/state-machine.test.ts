/**
 * The pipeline state machine as CloudFormation would receive it: the packaged
 * DefinitionString (placeholders resolved to markers naming their intrinsic), and the role
 * it runs with. What Step Functions rejects only at deploy time, and what a default
 * serverless-step-functions role would grant too broadly, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry } from '../../lib/registry/parse-registry';
import { taskDefinitionOf } from '../../lib/registry/schema';
import { ALLOWED_RUN_TASK_PARAMETERS } from '../helpers/asl';
import { FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type State = Record<string, Json> & { Type: string };
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

/** CloudWatch Logs vended delivery and X-Ray: no resource-level permissions exist for these. */
const DELIVERY_ACTIONS_ON_STAR = new Set([
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
]);

let template: CfnTemplate;
let definition: { StartAt: string; States: Record<string, State> };
let roleId: string;

beforeAll(async () => {
  ({ template } = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS }));
  const machines = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the packaged template, found ${machines.length}`);
  const [, machine] = machines[0]!;
  definition = JSON.parse(resolveDefinitionString(machine.Properties.DefinitionString));
  roleId = machine.Properties.RoleArn?.['Fn::GetAtt']?.[0];
}, 180_000);

/** A marker for what an Fn::Sub variable stands for, e.g. `<GetAtt PipelineCluster.Arn>`. */
function marker(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] };
  if (typeof value === 'string') return value;
  if (v.Ref) return `<Ref ${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<GetAtt ${v['Fn::GetAtt'].join('.')}>`;
  return `<${JSON.stringify(value).replace(/"/g, "'")}>`;
}

/**
 * DefinitionString is a string, {Fn::Sub: string} or {Fn::Sub: [string, variables]}.
 * `${!x}` is Fn::Sub's escape for a literal `${x}`; pseudo parameters become markers too.
 */
function resolveDefinitionString(value: unknown): string {
  if (typeof value === 'string') return value;
  const sub = (value as { 'Fn::Sub'?: string | [string, Record<string, unknown>] })['Fn::Sub'];
  if (sub === undefined) throw new Error(`DefinitionString is neither a string nor Fn::Sub: ${JSON.stringify(value).slice(0, 200)}`);
  const [text, variables] = typeof sub === 'string' ? [sub, {}] : sub;
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, escaped: string, name: string) => {
    if (escaped) return `\${${name}}`;
    if (name in variables) return marker(variables[name]).replace(/"/g, '\\"');
    if (name.startsWith('AWS::')) return `<${name}>`;
    return marker({ 'Fn::GetAtt': name.split('.') });
  });
}

/** Every state, Map iterations (ItemProcessor or the older Iterator) and Parallel branches included. */
function allStates(states: Record<string, State>, out: Record<string, State> = {}): Record<string, State> {
  for (const [name, state] of Object.entries(states)) {
    out[name] = state;
    const inner = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, State> } | undefined;
    if (inner) allStates(inner.States, out);
    for (const branch of (state.Branches ?? []) as Array<{ States: Record<string, State> }>) allStates(branch.States, out);
  }
  return out;
}

const taskStates = () => Object.entries(allStates(definition.States)).filter(([, s]) => s.Type === 'Task');
const runTaskStates = () => taskStates().filter(([, s]) => String(s.Resource).startsWith('arn:aws:states:::ecs:runTask'));

function roleStatements(): Statement[] {
  const role = template.Resources[roleId];
  if (!role) throw new Error(`state machine role ${roleId} is not in the template`);
  const inline = (role.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached].filter((s) => s.Effect === 'Allow');
}
const actionsOf = (s: Statement) => [s.Action].flat();
const resourcesOf = (s: Statement) => [s.Resource].flat();

describe('packaged state machine definition', () => {
  it('parses, with every placeholder resolved', () => {
    expect(definition.States[definition.StartAt]).toBeDefined();
    expect(JSON.stringify(definition)).not.toMatch(/\$\{[^}]*\}/);
  });

  it('gives every Task state, Map iterations included, Retry, Catch and a timeout', () => {
    const tasks = taskStates();
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    // The shard launches live inside the Map: the walk must reach them.
    expect(runTaskStates().length).toBeGreaterThanOrEqual(2);
    for (const [name, state] of tasks) {
      expect({
        name,
        retry: Array.isArray(state.Retry) && state.Retry.length > 0,
        catch: Array.isArray(state.Catch) && state.Catch.length > 0,
        timeout: typeof state.TimeoutSeconds === 'number' || typeof state.TimeoutSecondsPath === 'string',
      }).toEqual({ name, retry: true, catch: true, timeout: true });
    }
  });

  it('gives every callback state a heartbeat', () => {
    const callbacks = taskStates().filter(([, s]) => String(s.Resource).endsWith('.waitForTaskToken'));
    expect(callbacks.length).toBeGreaterThanOrEqual(1);
    for (const [name, state] of callbacks) {
      expect({ name, heartbeat: typeof state.HeartbeatSeconds === 'number' || typeof state.HeartbeatSecondsPath === 'string' }).toEqual({
        name,
        heartbeat: true,
      });
    }
  });

  it("passes RunTask only parameters the ECS integration accepts, on this stack's cluster", () => {
    for (const [name, state] of runTaskStates()) {
      const parameters = state.Parameters as Record<string, Json>;
      const keys = Object.keys(parameters).map((key) => key.replace(/\.\$$/, ''));
      expect({ name, unsupported: keys.filter((key) => !ALLOWED_RUN_TASK_PARAMETERS.includes(key)) }).toEqual({ name, unsupported: [] });
      expect({ name, cluster: parameters.Cluster }).toEqual({ name, cluster: '<GetAtt PipelineCluster.Arn>' });
    }
  });
});

describe('retries by failure class in the packaged definition', () => {
  it("sends every RunTask state's failures to Decide Shard Retry, whose Choice loops back through a Wait to the launch", () => {
    const states = allStates(definition.States);
    for (const [name, state] of runTaskStates()) {
      const catchers = state.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
      const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'))!;
      expect({ name, next: all.Next, resultPath: all.ResultPath }).toEqual({ name, next: 'Decide Shard Retry', resultPath: '$.failure' });
      // Capacity (RunTask `failures`) is the pipeline's own setting, not a fixed Retry.
      expect({ name, retried: (state.Retry as Array<{ ErrorEquals: string[] }>).flatMap((r) => r.ErrorEquals) }).toEqual({
        name,
        retried: expect.not.arrayContaining(['AmazonECS.Unknown']),
      });
    }
    const decide = states['Decide Shard Retry']!;
    expect(decide).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: '<GetAtt DecideShardRetryLambdaFunction.Arn>', 'Payload.$': '$' },
      Next: 'Retry Shard Or Keep Failure',
    });
    expect(states['Retry Shard Or Keep Failure']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.decision.retry', BooleanEquals: true, Next: 'Wait Before Retrying Shard' }],
      Default: 'Keep Shard Failure',
    });
    expect(states['Wait Before Retrying Shard']).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.waitSeconds',
      OutputPath: '$.next',
      Next: 'Choose Launch Pattern',
    });
  });

  it('lets the state machine invoke Decide Shard Retry, and that function only read tasks of this cluster', () => {
    const invoke = roleStatements().filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke.flatMap(resourcesOf))).toContain('DecideShardRetryLambdaFunction');
    const fn = template.Resources.DecideShardRetryLambdaFunction!;
    const roleName = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const statements = (template.Resources[roleName]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>)
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((s) => actionsOf(s).some((a) => a.startsWith('ecs:')));
    expect(statements.flatMap(actionsOf).sort()).toEqual(['ecs:DescribeTasks', 'ecs:ListTasks']);
    const list = statements.find((s) => actionsOf(s).includes('ecs:ListTasks'))!;
    expect(list.Condition).toEqual({ ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': ['PipelineCluster', 'Arn'] } } });
    expect(JSON.stringify(statements.find((s) => actionsOf(s).includes('ecs:DescribeTasks'))!.Resource)).toContain(
      ':task/${PipelineCluster}/*',
    );
  });
});

describe('shard launches', () => {
  // AWS docs (Fargate capacity providers): "Linux tasks with the ARM64 architecture don't
  // support the Fargate Spot capacity provider." RunTask would answer with failures
  // (AmazonECS.Unknown) on every attempt; the emulator cannot know.
  it('ask for FARGATE_SPOT only for task definitions that can run on it (not ARM64)', () => {
    const registry = parseRegistry(readFileSync(join(__dirname, '../../pipelines.yml'), 'utf8'));
    const definitions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
    const launches = Object.entries(registry.pipelines).map(([name, pipeline]) => ({
      name,
      spot: pipeline.task.capacity === 'fargate-spot',
      definition: definitions.find((r) => String(r.Properties.Family).endsWith(`-${taskDefinitionOf(name, pipeline)}`)),
    }));
    expect(launches.filter((l) => !l.definition).map((l) => l.name)).toEqual([]);
    const offenders = launches.filter((l) => l.spot && l.definition?.Properties.RuntimePlatform?.CpuArchitecture === 'ARM64');
    expect(offenders.map((l) => l.name)).toEqual([]);
  });
});

describe('state machine role', () => {
  /** Families of this stack's task definitions that name one, and the roles each runs with. */
  const taskDefinitions = () =>
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ECS::TaskDefinition' && typeof r.Properties.Family === 'string')
      .map((r) => ({
        family: r.Properties.Family as string,
        roles: [r.Properties.TaskRoleArn, r.Properties.ExecutionRoleArn].filter(Boolean),
      }));

  it('is written by the stack, with no managed policies', () => {
    expect(template.Resources[roleId]?.Type).toBe('AWS::IAM::Role');
    expect(template.Resources[roleId]!.Properties.ManagedPolicyArns ?? []).toEqual([]);
  });

  it("runs only this stack's task definition families, only in this stack's cluster", () => {
    const families = new Set(taskDefinitions().map((t) => t.family));
    const runTask = roleStatements().filter((s) => actionsOf(s).some((a) => a === 'ecs:RunTask' || a === 'ecs:*' || a === '*'));
    expect(runTask.length).toBeGreaterThanOrEqual(1);
    const prefix = 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/';
    for (const statement of runTask) {
      expect(actionsOf(statement)).toEqual(['ecs:RunTask']);
      for (const resource of resourcesOf(statement)) {
        const arn = (resource as { 'Fn::Sub'?: string })?.['Fn::Sub'] ?? resource;
        const family = typeof arn === 'string' && arn.startsWith(prefix) && arn.endsWith(':*') ? arn.slice(prefix.length, -2) : undefined;
        expect({ resource, stackFamily: family !== undefined && families.has(family) }).toEqual({ resource, stackFamily: true });
      }
      expect(statement.Condition?.ArnEquals?.['ecs:cluster']).toEqual({ 'Fn::GetAtt': ['PipelineCluster', 'Arn'] });
    }
  });

  it('passes only the task and execution roles of the families it runs, and only to ECS tasks', () => {
    const runnable = roleStatements()
      .filter((s) => actionsOf(s).includes('ecs:RunTask'))
      .flatMap(resourcesOf)
      .map((r) => JSON.stringify(r));
    const passable = taskDefinitions()
      .filter((t) => runnable.some((r) => r.includes(`task-definition/${t.family}:`)))
      .flatMap((t) => t.roles.map((role) => JSON.stringify(role)));
    const passRole = roleStatements().filter((s) => actionsOf(s).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'));
    expect(passRole.length).toBeGreaterThanOrEqual(1);
    for (const statement of passRole) {
      expect(actionsOf(statement)).toEqual(['iam:PassRole']);
      expect(
        resourcesOf(statement)
          .map((r) => JSON.stringify(r))
          .sort(),
      ).toEqual([...new Set(passable)].sort());
      expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  });

  // RunTask with PropagateTags tags the task it creates, and ECS authorizes tag-on-create
  // separately (ecs:TagResource with ecs:CreateAction, AWS docs "Grant permission to tag
  // resources on creation"): without it every launch fails with AccessDeniedException.
  it('may tag the tasks it starts when a RunTask state propagates tags, and nothing else', () => {
    const propagates = runTaskStates().some(([, s]) => (s.Parameters as Record<string, Json>).PropagateTags !== undefined);
    const tagging = roleStatements().filter((s) => actionsOf(s).includes('ecs:TagResource'));
    if (!propagates) return expect(tagging).toEqual([]);
    expect(tagging.length).toBeGreaterThanOrEqual(1);
    for (const statement of tagging) {
      expect(actionsOf(statement)).toEqual(['ecs:TagResource']);
      expect(statement.Condition?.StringEquals?.['ecs:CreateAction']).toEqual('RunTask');
      expect(JSON.stringify(resourcesOf(statement))).toContain(':task/${PipelineCluster}/*');
    }
  });

  it('uses Resource "*" only for log delivery and X-Ray actions', () => {
    const offenders = roleStatements()
      .filter((s) => resourcesOf(s).includes('*'))
      .flatMap((s) => actionsOf(s).filter((a) => !DELIVERY_ACTIONS_ON_STAR.has(a)));
    expect(offenders).toEqual([]);
    expect(
      roleStatements()
        .flatMap(actionsOf)
        .filter((a) => a.includes('*')),
    ).toEqual([]);
  });
});
