/**
 * Names AWS limits in length, checked on the compiled template for the stage and region being
 * packaged: a long stage name would otherwise fail the deploy late (CloudFormation rejects the
 * uploads bucket name, say, after half the stack exists). Every name property of the template
 * is resolved as far as it can be offline: the stack name, the region, a 12-digit account id,
 * joins and both branches of a condition; what depends on another resource is left alone.
 */
import { StackGenerationError, type Template } from './template';

interface NameLimit {
  type: string;
  property: string;
  limit: number;
  what: string;
}

/** Name properties and their AWS limits (each service's API or CloudFormation reference). */
export const NAME_LIMITS: NameLimit[] = [
  { type: 'AWS::S3::Bucket', property: 'BucketName', limit: 63, what: 'S3 bucket name' },
  { type: 'AWS::Lambda::Function', property: 'FunctionName', limit: 64, what: 'Lambda function name' },
  { type: 'AWS::Events::Rule', property: 'Name', limit: 64, what: 'EventBridge rule name' },
  { type: 'AWS::Scheduler::Schedule', property: 'Name', limit: 64, what: 'EventBridge schedule name' },
  { type: 'AWS::IAM::Role', property: 'RoleName', limit: 64, what: 'IAM role name' },
  { type: 'AWS::SQS::Queue', property: 'QueueName', limit: 80, what: 'SQS queue name' },
  { type: 'AWS::StepFunctions::StateMachine', property: 'StateMachineName', limit: 80, what: 'state machine name' },
  { type: 'AWS::StepFunctions::Activity', property: 'Name', limit: 80, what: 'activity name' },
  { type: 'AWS::Kinesis::Stream', property: 'Name', limit: 128, what: 'Kinesis stream name' },
  { type: 'AWS::EC2::LaunchTemplate', property: 'LaunchTemplateName', limit: 128, what: 'launch template name' },
  { type: 'AWS::ECS::TaskDefinition', property: 'Family', limit: 255, what: 'task definition family' },
  { type: 'AWS::ECS::Cluster', property: 'ClusterName', limit: 255, what: 'ECS cluster name' },
  { type: 'AWS::ECS::CapacityProvider', property: 'Name', limit: 255, what: 'capacity provider name' },
  { type: 'AWS::DynamoDB::Table', property: 'TableName', limit: 255, what: 'DynamoDB table name' },
  { type: 'AWS::AutoScaling::AutoScalingGroup', property: 'AutoScalingGroupName', limit: 255, what: 'Auto Scaling group name' },
  { type: 'AWS::CloudWatch::Alarm', property: 'AlarmName', limit: 255, what: 'alarm name' },
  { type: 'AWS::CloudWatch::Dashboard', property: 'DashboardName', limit: 255, what: 'dashboard name' },
  { type: 'AWS::SNS::Topic', property: 'TopicName', limit: 256, what: 'SNS topic name' },
  { type: 'AWS::ECR::Repository', property: 'RepositoryName', limit: 256, what: 'ECR repository name' },
  { type: 'AWS::Logs::LogGroup', property: 'LogGroupName', limit: 512, what: 'log group name' },
];

/** CloudFormation: a stack name is at most 128 characters. */
export const MAX_STACK_NAME = 128;

export interface NameContext {
  service: string;
  stage: string;
  region: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every value a name can take (both branches of Fn::If), or undefined when part of it is
 * known only at deploy time (a reference to another resource).
 */
export function possibleNames(value: unknown, context: NameContext): string[] | undefined {
  const pseudo: Record<string, string> = {
    'AWS::StackName': `${context.service}-${context.stage}`,
    'AWS::Region': context.region,
    'AWS::AccountId': '123456789012',
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [String(value)];
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return pseudo[value.Ref] !== undefined ? [pseudo[value.Ref]!] : undefined;
  const sub = value['Fn::Sub'];
  if (sub !== undefined) {
    const [text, variables] =
      typeof sub === 'string'
        ? [sub, {}]
        : Array.isArray(sub) && typeof sub[0] === 'string'
          ? [sub[0], (sub[1] ?? {}) as Record<string, unknown>]
          : [undefined, {}];
    if (text === undefined) return undefined;
    let results = [''];
    let rest = text;
    for (const match of text.matchAll(/\$\{(!?)([^}]+)\}/g)) {
      const [whole, escaped, name] = match as unknown as [string, string, string];
      const before = rest.slice(0, rest.indexOf(whole));
      rest = rest.slice(rest.indexOf(whole) + whole.length);
      const options = escaped
        ? [`\${${name}}`]
        : name in variables
          ? possibleNames(variables[name], context)
          : pseudo[name] !== undefined
            ? [pseudo[name]!]
            : undefined;
      if (!options) return undefined;
      results = results.flatMap((prefix) => options.map((option) => `${prefix}${before}${option}`));
    }
    return results.map((prefix) => `${prefix}${rest}`);
  }
  const joined = value['Fn::Join'];
  if (Array.isArray(joined) && typeof joined[0] === 'string' && Array.isArray(joined[1])) {
    let results = [''];
    for (const [index, part] of (joined[1] as unknown[]).entries()) {
      const options = possibleNames(part, context);
      if (!options) return undefined;
      results = results.flatMap((prefix) => options.map((option) => `${prefix}${index ? joined[0] : ''}${option}`));
    }
    return results;
  }
  const branches = value['Fn::If'];
  if (Array.isArray(branches)) {
    const options = [branches[1], branches[2]].map((branch) =>
      isRecord(branch) && branch.Ref === 'AWS::NoValue' ? [] : possibleNames(branch, context),
    );
    return options.some((option) => option === undefined) ? undefined : (options.flat() as string[]);
  }
  return undefined;
}

/**
 * The role serverless-iam-roles-per-function will name for each function,
 * `<service>-<stage>-<function>-<region>` (plus `-lambdaRole` when that fits): it fails on its
 * own beyond 64 characters, without saying that the stage is what made the name long, so
 * stack/serverless-plugin.cjs checks these names before that plugin runs.
 */
export function functionRoleNames(functionNames: string[], context: NameContext): Template['Resources'] {
  return Object.fromEntries(
    functionNames.map((name) => [
      `the ${name} function's role`,
      { Type: 'AWS::IAM::Role', Properties: { RoleName: `${context.service}-${context.stage}-${name}-${context.region}` } },
    ]),
  );
}

/** Throws StackGenerationError listing every name the stage makes too long, and how short the stage must be. */
export function checkNameLengths(template: Template, context: NameContext): void {
  const problems: string[] = [];
  const stackName = `${context.service}-${context.stage}`;
  if (stackName.length > MAX_STACK_NAME) {
    problems.push(`the stack name "${stackName}" is ${stackName.length} characters long, over CloudFormation's limit of ${MAX_STACK_NAME}`);
  }
  let maxStage = Number.POSITIVE_INFINITY;
  for (const [id, resource] of Object.entries(template.Resources)) {
    for (const { type, property, limit, what } of NAME_LIMITS) {
      if (resource.Type !== type) continue;
      for (const name of possibleNames(resource.Properties?.[property], context) ?? []) {
        if (name.length <= limit) continue;
        const occurrences = Math.max(1, name.split(context.stage).length - 1);
        maxStage = Math.min(maxStage, context.stage.length - Math.ceil((name.length - limit) / occurrences));
        problems.push(`${what} of ${id} would be ${name.length} characters long, over AWS's limit of ${limit}: "${name}"`);
      }
    }
  }
  if (problems.length) {
    const advice = Number.isFinite(maxStage) ? `; use a stage name of at most ${Math.max(1, maxStage)} characters` : '';
    throw new StackGenerationError(
      `stage "${context.stage}" (region ${context.region}) makes names too long${advice}:\n  - ${problems.join('\n  - ')}`,
    );
  }
}
