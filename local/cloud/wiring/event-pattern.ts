/**
 * EventBridge event patterns: exact values, prefix, suffix, anything-but, exists, numeric,
 * equals-ignore-case and wildcard, nested objects; arrays in the event match when any element does.
 */
type Pattern = { [key: string]: unknown };

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
