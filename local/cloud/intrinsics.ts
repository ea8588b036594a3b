/**
 * CloudFormation intrinsic functions resolved against local names, so the values the
 * template gives a function's environment, a rule's target or a state machine's
 * definition mean the same resources locally as they do in the deployed stack.
 */
import { createHash } from 'node:crypto';
import type { Template, TemplateResource } from './template';
import { secretArn } from '../emulators/secrets-manager/server';

export class TemplateResolveError extends Error {
  override readonly name = 'TemplateResolveError';
}

export interface StackContext {
  stackName: string;
  region: string;
  accountId: string;
  /** Local endpoints, used for the URL attributes (queue URLs). */
  endpoints: { sqs: string };
}

export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
  /** A resource the local cloud only names: any attribute gets a stable placeholder. */
  placeholder?: boolean;
}

const NO_VALUE = Symbol('AWS::NoValue');

const EC2_ID_PREFIX: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::RouteTable': 'rtb',
};

/** The name CloudFormation would generate when a resource has none: stack-logicalId-suffix, shortened. */
function generatedName(stackName: string, logicalId: string, max: number, lower = false): string {
  const name = `${stackName}-${logicalId}`.slice(0, max);
  return lower ? name.toLowerCase() : name;
}

export class StackResolver {
  private readonly physical = new Map<string, PhysicalResource>();
  private readonly conditions = new Map<string, boolean>();

  constructor(
    readonly template: Template,
    readonly context: StackContext,
  ) {}

  private arn(service: string, resource: string, region = this.context.region): string {
    return `arn:aws:${service}:${region}:${this.context.accountId}:${resource}`;
  }

  /** Whether a resource exists in this stack (its Condition holds). */
  exists(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    return resource !== undefined && (resource.Condition === undefined || this.condition(resource.Condition));
  }

  resources(type: string): Array<[string, TemplateResource]> {
    return Object.entries(this.template.Resources).filter(([id, r]) => r.Type === type && this.exists(id));
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new TemplateResolveError(`condition ${name} is not defined in the template`);
    const value = Boolean(this.resolve(expression, `Conditions.${name}`));
    this.conditions.set(name, value);
    return value;
  }

  /** Ref and attributes of a resource, named the way the deployed stack would name it (locally). */
  physicalOf(logicalId: string): PhysicalResource {
    const known = this.physical.get(logicalId);
    if (known) return known;
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new TemplateResolveError(`resource ${logicalId} is not in the template`);
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const prop = (key: string): string | undefined => {
      const value = props[key];
      return value === undefined ? undefined : String(this.resolve(value, `${logicalId}.${key}`));
    };
    const { stackName } = this.context;
    let result: PhysicalResource;
    switch (resource.Type) {
      case 'AWS::Kinesis::Stream': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 128);
        result = { ref: name, attributes: { Arn: this.arn('kinesis', `stream/${name}`) } };
        break;
      }
      case 'AWS::DynamoDB::Table': {
        const name = prop('TableName') ?? generatedName(stackName, logicalId, 255);
        result = {
          ref: name,
          attributes: { Arn: this.arn('dynamodb', `table/${name}`), StreamArn: this.arn('dynamodb', `table/${name}/stream/local`) },
        };
        break;
      }
      case 'AWS::SQS::Queue': {
        const name = prop('QueueName') ?? generatedName(stackName, logicalId, 80);
        const queueUrl = `${this.context.endpoints.sqs}/${this.context.accountId}/${name}`;
        result = { ref: queueUrl, attributes: { Arn: this.arn('sqs', name), QueueName: name, QueueUrl: queueUrl } };
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = prop('BucketName') ?? generatedName(stackName, logicalId, 63, true);
        result = { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } };
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = prop('TopicName') ?? generatedName(stackName, logicalId, 256);
        const arn = this.arn('sns', name);
        result = { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = prop('FunctionName') ?? generatedName(stackName, logicalId, 64);
        result = { ref: name, attributes: { Arn: this.arn('lambda', `function:${name}`) } };
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = prop('StateMachineName') ?? generatedName(stackName, logicalId, 80);
        const arn = this.arn('states', `stateMachine:${name}`);
        result = { ref: arn, attributes: { Arn: arn, Name: name } };
        break;
      }
      case 'AWS::StepFunctions::Activity': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 80);
        const arn = this.arn('states', `activity:${name}`);
        result = { ref: arn, attributes: { Arn: arn, Name: name } };
        break;
      }
      case 'AWS::ECS::Cluster': {
        const name = prop('ClusterName') ?? generatedName(stackName, logicalId, 255);
        result = { ref: name, attributes: { Arn: this.arn('ecs', `cluster/${name}`) } };
        break;
      }
      case 'AWS::ECS::TaskDefinition': {
        const family = prop('Family') ?? generatedName(stackName, logicalId, 255);
        const arn = this.arn('ecs', `task-definition/${family}:1`);
        result = { ref: arn, attributes: { TaskDefinitionArn: arn } };
        break;
      }
      case 'AWS::ECS::Service': {
        const name = prop('ServiceName') ?? generatedName(stackName, logicalId, 255);
        const cluster = (prop('Cluster') ?? 'default').split('/').at(-1)!;
        const arn = this.arn('ecs', `service/${cluster}/${name}`);
        result = { ref: arn, attributes: { Name: name, ServiceArn: arn } };
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 512);
        const arn = secretArn(this.context.region, this.context.accountId, name);
        result = { ref: arn, attributes: { Id: arn, Name: name } };
        break;
      }
      case 'AWS::IAM::Role': {
        const name = prop('RoleName') ?? generatedName(stackName, logicalId, 64);
        result = {
          ref: name,
          attributes: { Arn: `arn:aws:iam::${this.context.accountId}:role/${name}`, RoleId: `AROA${logicalId.toUpperCase()}` },
        };
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = prop('LogGroupName') ?? generatedName(stackName, logicalId, 512);
        result = { ref: name, attributes: { Arn: this.arn('logs', `log-group:${name}:*`) } };
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 64);
        result = { ref: name, attributes: { Arn: this.arn('scheduler', `schedule/${prop('GroupName') ?? 'default'}/${name}`) } };
        break;
      }
      case 'AWS::Events::Rule': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 64);
        // A rule on a custom bus has the bus in its ARN (rule/<bus>/<name>); Ref is the name on the default bus, else <bus>|<name>.
        const busValue = prop('EventBusName');
        const bus = busValue === undefined ? 'default' : busValue.slice(busValue.lastIndexOf('/') + 1);
        result = {
          ref: bus === 'default' ? name : `${bus}|${name}`,
          attributes: { Arn: this.arn('events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`) },
        };
        break;
      }
      case 'AWS::Events::EventBus': {
        const name = prop('Name') ?? generatedName(stackName, logicalId, 256);
        const arn = this.arn('events', `event-bus/${name}`);
        result = { ref: name, attributes: { Arn: arn, Name: name } };
        break;
      }
      default: {
        // Resources the local cloud only needs to name (VPC, subnets, alarms, policies...);
        // EC2 ids keep their AWS prefix because code validates them.
        const ec2Prefix = EC2_ID_PREFIX[resource.Type];
        const id = ec2Prefix ? `${ec2Prefix}-${createHash('sha256').update(logicalId).digest('hex').slice(0, 17)}` : `local-${logicalId}`;
        result = { ref: id, attributes: { Arn: this.arn(resource.Type.split('::')[1]!.toLowerCase(), id) }, placeholder: true };
      }
    }
    this.physical.set(logicalId, result);
    return result;
  }

  private pseudo(name: string): string | typeof NO_VALUE | undefined {
    switch (name) {
      case 'AWS::StackName':
        return this.context.stackName;
      case 'AWS::Region':
        return this.context.region;
      case 'AWS::AccountId':
        return this.context.accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackId':
        return this.arn('cloudformation', `stack/${this.context.stackName}/local`);
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private ref(name: string, where: string): unknown {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    if (!this.template.Resources[name]) throw new TemplateResolveError(`${where}: Ref to ${name}, which is not in the template`);
    return this.physicalOf(name).ref;
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const physical = this.physicalOf(logicalId);
    // A security group's GroupId (or a VPC's VpcId...) is its id; other attributes get a named placeholder.
    const value =
      physical.attributes[attribute] ??
      (physical.placeholder
        ? /Id$/.test(attribute) && /^[a-z]+-[0-9a-f]+$/.test(physical.ref)
          ? physical.ref
          : `${physical.ref}-${attribute}`
        : undefined);
    if (value === undefined) throw new TemplateResolveError(`${where}: Fn::GetAtt ${logicalId}.${attribute} has no local value`);
    return value;
  }

  private sub(text: string, vars: Record<string, unknown>, where: string): string {
    return text
      .replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
        if (name in vars) return String(vars[name]);
        if (name.includes('.')) {
          const [id, ...attribute] = name.split('.');
          return this.getAtt(id!, attribute.join('.'), where);
        }
        return String(this.ref(name, where));
      })
      .replace(/\$\{!/g, '${');
  }

  /** Resolves every intrinsic in a value; `where` names the place for error messages. */
  resolve(value: unknown, where = 'template'): unknown {
    const out = this.resolveInner(value, where);
    return out === NO_VALUE ? undefined : out;
  }

  private resolveInner(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value.map((item, i) => this.resolveInner(item, `${where}[${i}]`)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      const r = (v: unknown) => this.resolveInner(v, `${where}.${key}`);
      switch (key) {
        case 'Ref':
          return this.ref(String(arg), where);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.+)/);
          return this.getAtt(String(id), String(r(attribute)), where);
        }
        case 'Fn::Sub': {
          if (typeof arg === 'string') return this.sub(arg, {}, where);
          const [text, vars] = arg as [string, Record<string, unknown>];
          return this.sub(text, r(vars) as Record<string, unknown>, where);
        }
        case 'Fn::Join': {
          const [separator, list] = arg as [string, unknown];
          return (r(list) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (r(list) as unknown[])[Number(r(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(r(text)).split(separator);
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return this.condition(condition) ? r(whenTrue) : r(whenFalse);
        }
        case 'Fn::Equals': {
          const [a, b] = arg as [unknown, unknown];
          return JSON.stringify(r(a)) === JSON.stringify(r(b));
        }
        case 'Fn::Not':
          return !r((arg as unknown[])[0]);
        case 'Fn::And':
          return (arg as unknown[]).every((item) => r(item));
        case 'Fn::Or':
          return (arg as unknown[]).some((item) => r(item));
        case 'Condition':
          return typeof arg === 'string' ? this.condition(arg) : { Condition: r(arg) };
        case 'Fn::GetAZs':
          return [`${this.context.region}a`, `${this.context.region}b`];
        case 'Fn::Base64':
          return Buffer.from(String(r(arg))).toString('base64');
        case 'Fn::FindInMap': {
          const [map, top, second] = (arg as unknown[]).map((item) => String(r(item)));
          const found = (this.template.Mappings?.[map!] as Record<string, Record<string, unknown>> | undefined)?.[top!]?.[second!];
          if (found === undefined) throw new TemplateResolveError(`${where}: Fn::FindInMap ${map}.${top}.${second} is not in Mappings`);
          return found;
        }
        case 'Fn::ImportValue':
          throw new TemplateResolveError(`${where}: Fn::ImportValue has no local value (the local cloud runs one stack)`);
        default:
          break;
      }
    }
    return Object.fromEntries(
      entries.map(([k, v]) => [k, this.resolveInner(v, `${where}.${k}`)] as const).filter(([, v]) => v !== NO_VALUE),
    );
  }
}
