/**
 * File patterns of the registry: `incoming/acme/orders-{date}.csv`.
 *
 * A `{name}` capture matches one or more characters other than `/`, so a capture
 * never spans folders. The captures of a pattern, in order of appearance, form the
 * batch key: every file of one batch shares the same capture values.
 */

export interface CompiledPattern {
  source: string;
  regex: RegExp;
  captures: string[];
  /** The literal text before the first capture or `*`: where S3 must be watched. */
  literalPrefix: string;
  /** True when the pattern has a `*`: one file name stands for many objects of a batch. */
  wildcard: boolean;
}

const CAPTURE = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
/** A capture or a `*` wildcard. */
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}|\*/g;

export class PatternSyntaxError extends Error {
  override readonly name = 'PatternSyntaxError';
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compilePattern(source: string): CompiledPattern {
  if (source.length === 0) throw new PatternSyntaxError('pattern is empty');
  if (source.startsWith('/')) throw new PatternSyntaxError(`pattern "${source}" must not start with "/" (S3 keys do not)`);
  const captures: string[] = [];
  let regex = '^';
  let last = 0;
  let placeholders = 0;
  let wildcard = false;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (name !== undefined && captures.includes(name)) throw new PatternSyntaxError(`pattern "${source}" uses capture {${name}} twice`);
    const literal = source.slice(last, match.index);
    if (literal.length === 0 && placeholders > 0) {
      throw new PatternSyntaxError(
        `pattern "${source}" puts two captures (or a capture and a *) side by side; separate them with a literal`,
      );
    }
    if (name === undefined) {
      regex += `${escapeRegex(literal)}[^/]+?`;
      wildcard = true;
    } else {
      regex += `${escapeRegex(literal)}(?<${name}>[^/]+?)`;
      captures.push(name);
    }
    placeholders += 1;
    last = match.index + match[0].length;
  }
  const tail = source.slice(last);
  if (/[{}]/.test(source.replace(CAPTURE, ''))) {
    throw new PatternSyntaxError(`pattern "${source}" has a brace that is not a {name} capture`);
  }
  regex += `${escapeRegex(tail)}$`;
  const firstPlaceholder = source.search(PLACEHOLDER);
  return {
    source,
    regex: new RegExp(regex, 'u'),
    captures,
    literalPrefix: firstPlaceholder === -1 ? source : source.slice(0, firstPlaceholder),
    wildcard,
  };
}

/** The key a pattern names for these capture values (every capture must have one). */
export function renderPattern(source: string, captures: Record<string, string>): string {
  return source.replace(CAPTURE, (_whole, name: string) => {
    const value = captures[name];
    if (value === undefined) throw new PatternSyntaxError(`pattern "${source}" needs a value for {${name}}`);
    return value;
  });
}

/** The folder of a key template: everything up to its last `/` (a marker batch's prefix). */
export const folderOf = (template: string): string => template.slice(0, template.lastIndexOf('/') + 1);

/** Capture values by name when the key matches, otherwise undefined. */
export function matchPattern(pattern: CompiledPattern, key: string): Record<string, string> | undefined {
  const match = pattern.regex.exec(key);
  if (!match) return undefined;
  return { ...(match.groups ?? {}) };
}

// Tokens for the overlap check: a literal character, "any one character" and
// "any run of characters" (both within one folder segment).
type Token = { kind: 'lit'; ch: string } | { kind: 'any' } | { kind: 'star' };

function tokenize(segment: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const match of segment.matchAll(PLACEHOLDER)) {
    for (const ch of segment.slice(last, match.index)) tokens.push({ kind: 'lit', ch });
    // A capture (or a *) is one or more characters: one "any" then a "star".
    tokens.push({ kind: 'any' }, { kind: 'star' });
    last = match.index + match[0].length;
  }
  for (const ch of segment.slice(last)) tokens.push({ kind: 'lit', ch });
  return tokens;
}

function segmentsCanMeet(a: Token[], b: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const width = b.length + 1;
  const go = (i: number, j: number): boolean => {
    const id = i * width + j;
    const known = memo.get(id);
    if (known !== undefined) return known;
    let result: boolean;
    const ta = a[i];
    const tb = b[j];
    if (ta === undefined && tb === undefined) result = true;
    else if (ta?.kind === 'star') result = go(i + 1, j) || (tb !== undefined && go(i, j + 1));
    else if (tb?.kind === 'star') result = go(i, j + 1) || (ta !== undefined && go(i + 1, j));
    else if (ta === undefined || tb === undefined) result = false;
    else if (ta.kind === 'lit' && tb.kind === 'lit') result = ta.ch === tb.ch && go(i + 1, j + 1);
    else result = go(i + 1, j + 1);
    memo.set(id, result);
    return result;
  };
  return go(0, 0);
}

/**
 * True when some S3 key can match both patterns. Exact for this pattern language:
 * folders must pair up one to one (captures never contain "/"), and within a
 * folder the two wildcard patterns must share a word.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const sa = a.split('/');
  const sb = b.split('/');
  if (sa.length !== sb.length) return false;
  return sa.every((segment, index) => segmentsCanMeet(tokenize(segment), tokenize(sb[index]!)));
}
