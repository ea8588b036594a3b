/**
 * The compiled CloudFormation template as the generators of stack/ see it: what the stack
 * holds (functions, dead-letter queues) is read from the resources themselves, whatever they
 * are named and whichever file or plugin wrote them, and what a generator adds may not
 * silently replace a resource someone wrote by hand.
 */
export type Cfn = Record<string, unknown>;

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [attribute: string]: unknown;
}

export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, unknown>;
  [section: string]: unknown;
}

export class StackGenerationError extends Error {
  override readonly name = 'StackGenerationError';
}

/** Logical ids of the template's resources of one type, in template order. */
export const resourcesOfType = (template: Template, type: string): string[] =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A property path into a value, or undefined where any step is missing. */
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);

/**
 * The logical ids an ARN value names: `Fn::GetAtt: [Id, Arn]`, `Fn::GetAtt: Id.Arn`, and
 * both branches of an `Fn::If`. A literal ARN names nothing in this template.
 */
export function arnTargets(value: unknown): string[] {
  if (!isRecord(value)) return [];
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return [getAtt[0]];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return [getAtt.slice(0, -'.Arn'.length)];
  const branches = value['Fn::If'];
  if (Array.isArray(branches)) return [...arnTargets(branches[1]), ...arnTargets(branches[2])];
  return [];
}

/**
 * Where each kind of resource names the queue its failed messages, events or invocations go
 * to: redrive policies, on-failure destinations (stream and queue event source mappings,
 * asynchronous invocations), Lambda's own dead-letter config, EventBridge and Scheduler targets.
 */
const DEAD_LETTER_REFERENCES: Record<string, (properties: Record<string, unknown>) => unknown[]> = {
  'AWS::SQS::Queue': (p) => [at(p, 'RedrivePolicy', 'deadLetterTargetArn')],
  'AWS::SNS::Subscription': (p) => [at(p, 'RedrivePolicy', 'deadLetterTargetArn')],
  'AWS::Lambda::Function': (p) => [at(p, 'DeadLetterConfig', 'TargetArn')],
  'AWS::Lambda::EventSourceMapping': (p) => [at(p, 'DestinationConfig', 'OnFailure', 'Destination')],
  'AWS::Lambda::EventInvokeConfig': (p) => [at(p, 'DestinationConfig', 'OnFailure', 'Destination')],
  'AWS::Events::Rule': (p) => (Array.isArray(p.Targets) ? p.Targets : []).map((target: unknown) => at(target, 'DeadLetterConfig', 'Arn')),
  'AWS::Scheduler::Schedule': (p) => [at(p, 'Target', 'DeadLetterConfig', 'Arn')],
};

/**
 * Every queue of the template that something sends its failures to, in template order: the
 * dead-letter queues, found by how they are used and not by their names.
 */
export function deadLetterQueues(template: Template): string[] {
  const found = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    const references = DEAD_LETTER_REFERENCES[resource.Type];
    if (!references || !resource.Properties) continue;
    for (const id of references(resource.Properties).flatMap(arnTargets)) {
      if (template.Resources[id]?.Type === 'AWS::SQS::Queue') found.add(id);
    }
  }
  return [...found];
}

/** Adds generated resources; `generator` is named when one would replace an existing resource. */
export function addResources(template: Template, resources: Record<string, Cfn>, generator: string): void {
  for (const [id, resource] of Object.entries(resources)) {
    if (Object.hasOwn(template.Resources, id)) {
      throw new StackGenerationError(
        `${generator} generates resource ${id}, but the template already has a resource of that name: rename the one in resources/ or functions/`,
      );
    }
    template.Resources[id] = resource as TemplateResource;
  }
}

/** Adds generated outputs, with the same guard as addResources. */
export function addOutputs(template: Template, outputs: Record<string, Cfn>, generator: string): void {
  template.Outputs ??= {};
  for (const [id, output] of Object.entries(outputs)) {
    if (Object.hasOwn(template.Outputs, id)) {
      throw new StackGenerationError(
        `${generator} generates output ${id}, but the template already has an output of that name: rename the one in resources/`,
      );
    }
    template.Outputs[id] = output;
  }
}
