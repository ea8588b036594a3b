/**
 * EventBridge's input transformer for the local event bus: InputPathsMap picks values from
 * the event by JSON path (dot notation and array indices), InputTemplate places them at
 * `<name>`. Outside a JSON string a placeholder becomes the value as JSON (a string keeps its
 * quotes); inside one it becomes the value's text, as EventBridge does.
 */
export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

function valueAt(event: unknown, path: string): unknown {
  if (path === '$') return event;
  const steps = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '');
  let at: unknown = event;
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

export function transformInput(transformer: InputTransformer, event: unknown): string {
  const values = Object.fromEntries(Object.entries(transformer.InputPathsMap ?? {}).map(([name, path]) => [name, valueAt(event, path)]));
  const predefined: Record<string, unknown> = { 'aws.events.event': event, 'aws.events.event.json': event };
  const template = transformer.InputTemplate;
  if (!/^\s*[[{]/.test(template)) {
    // A text template: every placeholder becomes the value's text.
    return template.replace(/<([\w.-]+)>/g, (whole, name: string) => {
      if (!(name in values || name in predefined)) return whole;
      const value = values[name] ?? predefined[name];
      return typeof value === 'string' ? value : JSON.stringify(value ?? null);
    });
  }
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '\\' && inString) {
      out += template.slice(i, i + 2);
      i++;
      continue;
    }
    if (char === '"') inString = !inString;
    const placeholder = char === '<' ? /^<([\w.-]+)>/.exec(template.slice(i)) : null;
    if (!placeholder || !(placeholder[1]! in values || placeholder[1]! in predefined)) {
      out += char;
      continue;
    }
    const value = values[placeholder[1]!] ?? predefined[placeholder[1]!];
    // Escaped as string contents, so the result stays JSON.
    if (inString) out += JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value ?? null)).slice(1, -1);
    else out += JSON.stringify(value ?? null);
    i += placeholder[0].length - 1;
  }
  return out;
}
