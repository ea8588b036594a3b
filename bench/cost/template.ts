/**
 * The packaged template as deployed: its Conditions evaluated (serverless writes the stage's
 * parameters into them as literals), `Fn::If` resolved, and resources whose condition is
 * false left out. What cannot be decided offline (a condition on a value only AWS knows)
 * counts as true, so a cost is never left out by accident.
 */
export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
}

export class TemplateReadError extends Error {
  override readonly name = 'TemplateReadError';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A literal string, or undefined for anything only CloudFormation can resolve. */
function literal(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value) && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    const texts = Array.isArray(parts) ? parts.map(literal) : [undefined];
    return texts.every((t) => t !== undefined) ? texts.join(separator) : undefined;
  }
  return undefined;
}

export interface DeployedTemplate {
  /** Resources whose condition holds (or is undecidable), with every Fn::If resolved. */
  resources: Record<string, Resource>;
  condition(name: string): boolean;
}

export function deployedTemplate(template: Template): DeployedTemplate {
  const conditions = template.Conditions ?? {};
  const cache = new Map<string, boolean>();

  function evaluate(expression: unknown, seen: string[]): boolean {
    if (!isRecord(expression)) return true;
    if ('Condition' in expression) return condition(String(expression.Condition), seen);
    const [fn] = Object.keys(expression);
    const args = expression[fn!];
    if (!Array.isArray(args)) return true;
    switch (fn) {
      case 'Fn::Equals': {
        const [a, b] = args.map(literal);
        return a === undefined || b === undefined ? true : a === b;
      }
      case 'Fn::Not':
        return !evaluate(args[0], seen);
      case 'Fn::And':
        return args.every((arg) => evaluate(arg, seen));
      case 'Fn::Or':
        return args.some((arg) => evaluate(arg, seen));
      default:
        return true;
    }
  }

  function condition(name: string, seen: string[] = []): boolean {
    if (cache.has(name)) return cache.get(name)!;
    if (seen.includes(name)) throw new TemplateReadError(`condition ${name} refers to itself (${[...seen, name].join(' → ')})`);
    if (!(name in conditions)) throw new TemplateReadError(`the template names condition ${name}, which its Conditions do not define`);
    const value = evaluate(conditions[name], [...seen, name]);
    cache.set(name, value);
    return value;
  }

  /** The value as deployed: Fn::If branches chosen, AWS::NoValue entries dropped. */
  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (!isRecord(value)) return value;
    const branches = value['Fn::If'];
    if (Array.isArray(branches) && branches.length === 3) return resolve(condition(String(branches[0])) ? branches[1] : branches[2]);
    if (value.Ref === 'AWS::NoValue') return NO_VALUE;
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, inner]) => [key, resolve(inner)] as const)
        .filter(([, inner]) => inner !== NO_VALUE),
    );
  }

  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    resources[id] = resolve(resource) as Resource;
  }
  return { resources, condition: (name) => condition(name) };
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The logical ids a value refers to (Ref, Fn::GetAtt, Fn::Sub ${Id}). */
export function referencedIds(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    if (typeof node.Ref === 'string') found.add(node.Ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    if (typeof getAtt === 'string') found.add(getAtt.split('.')[0]!);
    const sub = node['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
    if (text) for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)) found.add(match[1]!);
    Object.values(node).forEach(walk);
  };
  walk(value);
  return [...found];
}
