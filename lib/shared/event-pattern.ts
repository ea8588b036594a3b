/**
 * EventBridge event patterns: exact values, prefix, suffix, anything-but, exists, numeric,
 * equals-ignore-case and wildcard, nested objects; arrays in the event match when any element does.
 *
 * The one implementation of patterns in the project: the local cloud routes events and filters
 * SQS and SNS deliveries with `matchesPattern`, and the registry checks a pipeline's
 * `trigger.events.pattern` at package time with `eventPatternProblems`, which accepts exactly
 * the grammar `matchesPattern` understands.
 */
type Pattern = { [key: string]: unknown };

/** The comparison operators of EventBridge's content filtering that the matcher implements. */
export const PATTERN_OPERATORS = ['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard'] as const;
const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='];

function matchRule(rule: unknown, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && value === rule;
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return Boolean(r.exists) === present;
  if (!present) return false;
  if ('prefix' in r) {
    const p = r.prefix;
    if (typeof p === 'object' && p !== null && 'equals-ignore-case' in p)
      return (
        typeof value === 'string' &&
        value.toLowerCase().startsWith(String((p as Record<string, unknown>)['equals-ignore-case']).toLowerCase())
      );
    return typeof value === 'string' && value.startsWith(String(p));
  }
  if ('suffix' in r) return typeof value === 'string' && value.endsWith(String(r.suffix));
  if ('equals-ignore-case' in r) return typeof value === 'string' && value.toLowerCase() === String(r['equals-ignore-case']).toLowerCase();
  if ('wildcard' in r) {
    const regex = new RegExp(
      `^${String(r.wildcard)
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return typeof value === 'string' && regex.test(value);
  }
  if ('anything-but' in r) {
    const but = r['anything-but'];
    if (Array.isArray(but)) return !but.includes(value);
    if (but !== null && typeof but === 'object') return !matchRule(but, value, present);
    return value !== but;
  }
  if ('numeric' in r) {
    const ops = r.numeric as unknown[];
    if (typeof value !== 'number') return false;
    for (let i = 0; i < ops.length; i += 2) {
      const op = ops[i];
      const n = Number(ops[i + 1]);
      const ok =
        op === '='
          ? value === n
          : op === '<'
            ? value < n
            : op === '<='
              ? value <= n
              : op === '>'
                ? value > n
                : op === '>='
                  ? value >= n
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const holder = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : {};
    const present = key in holder;
    const value = holder[key];
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      return rule.some((r) =>
        Array.isArray(value) && value.length === 0 ? matchRule(r, undefined, false) : values.some((v) => matchRule(r, v, present)),
      );
    }
    if (rule !== null && typeof rule === 'object') return present && matchesPattern(rule as Pattern, value);
    return false;
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** What is wrong with one match value of a field's array (`where` names the field). */
function ruleProblems(rule: unknown, where: string): string[] {
  if (rule === null || typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') return [];
  if (!isObject(rule))
    return [`${where}: a match value is a string, number, boolean, null or an operator object, not ${JSON.stringify(rule)}`];
  const keys = Object.keys(rule);
  if (keys.length !== 1) return [`${where}: an operator object holds exactly one operator, not ${JSON.stringify(rule)}`];
  const operator = keys[0]!;
  const operand = rule[operator];
  switch (operator) {
    case 'exists':
      return typeof operand === 'boolean' ? [] : [`${where}: "exists" takes true or false`];
    case 'prefix':
      if (isObject(operand) && Object.keys(operand).join() === 'equals-ignore-case' && typeof operand['equals-ignore-case'] === 'string')
        return [];
      return typeof operand === 'string' ? [] : [`${where}: "prefix" takes a string (or {"equals-ignore-case": string})`];
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      return typeof operand === 'string' ? [] : [`${where}: "${operator}" takes a string`];
    case 'anything-but':
      if (Array.isArray(operand)) {
        return operand.length > 0 && operand.every((value) => typeof value === 'string' || typeof value === 'number')
          ? []
          : [`${where}: "anything-but" takes a non-empty list of strings or numbers`];
      }
      if (isObject(operand)) return ruleProblems(operand, where);
      return typeof operand === 'string' || typeof operand === 'number'
        ? []
        : [`${where}: "anything-but" takes a value, a list or an operator`];
    case 'numeric': {
      const ops = Array.isArray(operand) ? operand : [];
      const pairs = ops.length > 0 && ops.length % 2 === 0;
      const valid =
        pairs && ops.every((value, index) => (index % 2 === 0 ? NUMERIC_OPERATORS.includes(String(value)) : typeof value === 'number'));
      return valid ? [] : [`${where}: "numeric" takes operator/number pairs, e.g. [">", 0, "<=", 5]`];
    }
    default:
      return [`${where}: unknown operator "${operator}" (supported: ${PATTERN_OPERATORS.join(', ')})`];
  }
}

function patternProblems(pattern: unknown, path: string[]): string[] {
  const where = path.length ? path.join('.') : 'pattern';
  if (!isObject(pattern)) return [`${where}: a pattern is an object of fields`];
  const fields = Object.entries(pattern);
  if (fields.length === 0) return [`${where}: a pattern needs at least one field`];
  return fields.flatMap(([key, rule]) => {
    const at = [...path, key];
    if (Array.isArray(rule)) {
      if (rule.length === 0) return [`${at.join('.')}: an empty list matches nothing`];
      return rule.flatMap((entry) => ruleProblems(entry, at.join('.')));
    }
    if (isObject(rule)) return patternProblems(rule, at);
    return [`${at.join('.')}: match values go in a list, e.g. ${key}: [${JSON.stringify(rule)}]`];
  });
}

/**
 * What makes a value an invalid event pattern for `matchesPattern` (and EventBridge): every
 * leaf is a non-empty list of values or operators the matcher implements. Empty when valid.
 */
export function eventPatternProblems(pattern: unknown): string[] {
  return patternProblems(pattern, []);
}
