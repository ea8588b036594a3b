/**
 * The JSONPath subset a pipeline's `batchKey` is written in: `$` followed by `.name` steps
 * (letters, digits, `_` and `-`, so `$.detail.metadata.idempotency-key` reads as written),
 * `['any name']` steps and `[index]` steps. Parsed once at package time (the registry rejects
 * anything else, naming the field) and evaluated at run time on each event or message.
 */
export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

export type JsonPathStep = string | number;

const STEP = /^(?:\.([A-Za-z0-9_-]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;

/** The steps of a path; throws JsonPathError saying where it stops making sense. */
export function parseJsonPath(path: string): JsonPathStep[] {
  if (!path.startsWith('$')) throw new JsonPathError(`"${path}" is not a JSONPath: it must start with $ (e.g. $.detail.id)`);
  const steps: JsonPathStep[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    if (!match) {
      throw new JsonPathError(`"${path}" is not a supported JSONPath at "${rest}": use .name, ['name'] or [index] steps`);
    }
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(match[2].replace(/\\(.)/g, '$1'));
    else steps.push(Number(match[3]));
    rest = rest.slice(match[0].length);
  }
  if (steps.length === 0) throw new JsonPathError(`"${path}" selects the whole document: name a field, e.g. $.detail.id`);
  return steps;
}

/** The value at the path, or undefined where any step is missing. */
export function readJsonPath(document: unknown, steps: JsonPathStep[]): unknown {
  let node: unknown = document;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[step];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, step)) return undefined;
      node = (node as Record<string, unknown>)[step];
    }
  }
  return node;
}
