/**
 * Run-time validation for functions: the part of zod's API this project uses, with zod's
 * exact issues (codes, paths, messages, order) and `prettifyError` text, in a few KiB.
 *
 * Why not zod itself at run time: it costs every function about 80 KiB of bundle and 5-15 ms
 * of cold start (bench/RESULTS.md), and nothing here needs more than objects, arrays,
 * records, unions, literals and a few checks. Package-time code (the registry schema) and
 * the containers keep zod. tests/unit/shared/validation.test.ts holds both to the same
 * results on the same schemas and inputs, so a message a user reads is the one zod wrote.
 *
 * Schemas are immutable: `.min(1)`, `.optional()` and the like return a new schema.
 */

/** One problem, as zod reports it (extra fields such as `expected` or `minimum` depend on the code). */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  [detail: string]: unknown;
}

/** An issue while parsing: `continue: true` marks one after which checks still run (zod's "non-aborting"). */
interface RawIssue {
  code: string;
  path?: PropertyKey[];
  message?: string;
  continue?: boolean;
  [detail: string]: unknown;
}

interface Payload {
  value: unknown;
  issues: RawIssue[];
  aborted?: boolean;
}

/** What a transform's callback can report through (zod's `ctx.addIssue`). */
export interface TransformContext {
  addIssue(issue: { code?: string; message: string; path?: PropertyKey[]; fatal?: boolean }): void;
}

/** Returned by a transform that reported an issue: the value is never used. */
export const NEVER = Object.freeze({ status: 'aborted' }) as never;

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly issues: Issue[]) {
    // zod's ZodError message: the issues as indented JSON.
    super(JSON.stringify(issues, null, 2));
  }
}

export type SafeParseResult<T> = { success: true; data: T; error?: never } | { success: false; error: ValidationError; data?: never };

export type Infer<S> = S extends Schema<infer O> ? O : never;

type Message = string | { message?: string; error?: string; path?: PropertyKey[]; abort?: boolean };

const messageOf = (params: Message | undefined): string | undefined =>
  typeof params === 'string' ? params : (params?.message ?? params?.error);

interface Check {
  /** Runs even after an aborting issue when it says so (zod's `when`: length checks on anything with a length). */
  when?: (payload: Payload) => boolean;
  check(payload: Payload): void;
}

// --- zod's messages (its English locale), for the issue codes this module raises ---------

function parsedType(data: unknown): string {
  const t = typeof data;
  if (t === 'number') return Number.isNaN(data) ? 'nan' : 'number';
  if (t === 'object') {
    if (data === null) return 'null';
    if (Array.isArray(data)) return 'array';
    const proto = Object.getPrototypeOf(data) as unknown;
    const ctor = (data as { constructor?: { name?: string } }).constructor;
    if (proto !== Object.prototype && ctor) return String(ctor.name);
  }
  return t;
}

const typeName = (type: string, input?: unknown): string =>
  type === 'number' && typeof input === 'number' && !Number.isFinite(input) ? String(input) : type === 'nan' ? 'NaN' : type;

const stringifyPrimitive = (value: unknown): string =>
  typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `"${value}"` : `${String(value)}`;
const joinValues = (values: readonly unknown[], separator = '|'): string => values.map(stringifyPrimitive).join(separator);
const SIZE_UNITS: Record<string, string> = { string: 'characters', array: 'items', set: 'items', file: 'bytes', map: 'entries' };
const FORMAT_NAMES: Record<string, string> = { regex: 'input', datetime: 'ISO datetime' };

function defaultMessage(issue: RawIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${typeName(String(issue.expected))}, received ${typeName(parsedType(input), input)}`;
    case 'invalid_value': {
      const values = issue.values as unknown[];
      return values.length === 1
        ? `Invalid input: expected ${stringifyPrimitive(values[0])}`
        : `Invalid option: expected one of ${joinValues(values)}`;
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const adj = issue.inclusive ? (big ? '<=' : '>=') : big ? '<' : '>';
      const bound = String(big ? issue.maximum : issue.minimum);
      const unit = SIZE_UNITS[String(issue.origin)];
      const head = big ? 'Too big' : 'Too small';
      return unit
        ? `${head}: expected ${String(issue.origin)} to have ${adj}${bound} ${unit}`
        : `${head}: expected ${String(issue.origin)} to be ${adj}${bound}`;
    }
    case 'invalid_format':
      if (issue.format === 'starts_with') return `Invalid string: must start with "${String(issue.prefix)}"`;
      if (issue.format === 'regex') return `Invalid string: must match pattern ${String(issue.pattern)}`;
      return `Invalid ${FORMAT_NAMES[String(issue.format)] ?? String(issue.format)}`;
    case 'unrecognized_keys': {
      const keys = issue.keys as string[];
      return `Unrecognized key${keys.length > 1 ? 's' : ''}: ${joinValues(keys, ', ')}`;
    }
    case 'invalid_key':
      return `Invalid key in ${String(issue.origin)}`;
    default:
      return 'Invalid input';
  }
}

/** The finished issue: zod's field order, without the parse-time fields. */
function finalize(raw: RawIssue): Issue {
  const full: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (key !== 'input' && key !== 'continue' && key !== 'messageFor' && key !== '__proto__') full[key] = raw[key];
  }
  full.path ??= [];
  full.message = raw.message ? raw.message : ((raw.messageFor as string | undefined) ?? defaultMessage(raw, raw.input));
  return full as Issue;
}

function prefix(key: PropertyKey, issues: RawIssue[]): RawIssue[] {
  for (const issue of issues) {
    issue.path ??= [];
    issue.path.unshift(key);
  }
  return issues;
}

/** zod's `aborted`: a result with any issue that does not let the checks after it run. */
const aborted = (payload: Payload, from = 0): boolean =>
  payload.aborted === true || payload.issues.slice(from).some((issue) => issue.continue !== true);
/** An issue that stops even the checks that run on anything with a length. */
const explicitlyAborted = (payload: Payload): boolean =>
  payload.aborted === true || payload.issues.some((issue) => issue.continue === false);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (ctor === undefined || typeof ctor !== 'function') return true;
  const proto = (ctor as { prototype?: unknown }).prototype;
  return isObject(proto) && Object.hasOwn(proto, 'isPrototypeOf');
}

function shallowClone<T>(value: T): T {
  if (isPlainObject(value)) return { ...value };
  if (Array.isArray(value)) return [...value] as T;
  return value;
}

/** Unicode code points, as zod measures strings. */
const lengthOf = (value: { length: number }): number => (typeof value === 'string' ? [...value].length : value.length);
const lengthOrigin = (value: unknown): string => (Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : 'unknown');
const hasLength = (payload: Payload): boolean =>
  payload.value !== null && payload.value !== undefined && (payload.value as { length?: unknown }).length !== undefined;

// --- schemas ----------------------------------------------------------------------------

export abstract class Schema<O> {
  /** Type only: what a successful parse returns. */
  declare readonly _output: O;
  /** How an object treats the key when it is absent (zod's optin/optout). */
  optin: 'optional' | 'defaulted' | undefined;
  optout: 'optional' | undefined;
  protected checks: Check[] = [];

  protected abstract parseType(payload: Payload): Payload;

  /** @internal the type parse, then the checks (skipped after an aborting issue, as zod does). */
  run(payload: Payload): Payload {
    const result = this.parseType(payload);
    if (!this.checks.length) return result;
    let isAborted = aborted(result);
    for (const check of this.checks) {
      if (check.when) {
        if (explicitlyAborted(result) || !check.when(result)) continue;
      } else if (isAborted) continue;
      const before = result.issues.length;
      check.check(result);
      if (!isAborted && result.issues.length !== before) isAborted = aborted(result, before);
    }
    return result;
  }

  safeParse(input: unknown): SafeParseResult<O> {
    const result = this.run({ value: input, issues: [] });
    if (result.issues.length) return { success: false, error: new ValidationError(result.issues.map(finalize)) };
    return { success: true, data: result.value as O };
  }

  parse(input: unknown): O {
    const result = this.safeParse(input);
    if (!result.success) throw result.error;
    return result.data;
  }

  protected with(check: Check): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    copy.checks = [...this.checks, check];
    return copy;
  }

  optional(): OptionalSchema<this> {
    return new OptionalSchema(this);
  }

  nullish(): OptionalSchema<NullableSchema<this>> {
    return new OptionalSchema(new NullableSchema(this));
  }

  default(value: Exclude<O, undefined>): DefaultSchema<this> {
    return new DefaultSchema(this, value);
  }

  refine(predicate: (value: O) => unknown, params?: Message): this {
    const message = messageOf(params);
    const path = typeof params === 'object' ? params.path : undefined;
    const abort = typeof params === 'object' ? params.abort : undefined;
    return this.with({
      check(payload) {
        if (predicate(payload.value as O)) return;
        payload.issues.push({
          code: 'custom',
          path: [...(path ?? [])],
          continue: !abort,
          ...(message !== undefined ? { messageFor: message } : {}),
        });
      },
    });
  }

  transform<U>(fn: (value: O, ctx: TransformContext) => U): Schema<U> {
    return new PipeSchema(this, new TransformSchema(fn));
  }

  pipe<U>(next: Schema<U>): Schema<U> {
    return new PipeSchema(this, next);
  }
}

class StringSchema extends Schema<string> {
  constructor(format?: { name: string; pattern: RegExp }) {
    super();
    if (format) {
      // A format is the first check, before any added with methods.
      this.checks = [
        {
          check: (payload) => {
            format.pattern.lastIndex = 0;
            if (format.pattern.test(payload.value as string)) return;
            payload.issues.push({
              origin: 'string',
              code: 'invalid_format',
              format: format.name,
              pattern: format.pattern.toString(),
              continue: true,
            });
          },
        },
      ];
    }
  }

  protected parseType(payload: Payload): Payload {
    if (typeof payload.value !== 'string') payload.issues.push({ expected: 'string', code: 'invalid_type', input: payload.value });
    return payload;
  }

  min(minimum: number, params?: Message): StringSchema {
    return this.with(minLength(minimum, params));
  }

  max(maximum: number, params?: Message): StringSchema {
    return this.with(maxLength(maximum, params));
  }

  regex(pattern: RegExp, params?: Message): StringSchema {
    const message = messageOf(params);
    return this.with({
      check(payload) {
        pattern.lastIndex = 0;
        if (pattern.test(payload.value as string)) return;
        payload.issues.push({
          origin: 'string',
          code: 'invalid_format',
          format: 'regex',
          pattern: pattern.toString(),
          continue: true,
          ...(message !== undefined ? { messageFor: message } : {}),
        });
      },
    });
  }

  startsWith(start: string, params?: Message): StringSchema {
    const message = messageOf(params);
    return this.with({
      check(payload) {
        if ((payload.value as string).startsWith(start)) return;
        payload.issues.push({
          origin: 'string',
          code: 'invalid_format',
          format: 'starts_with',
          prefix: start,
          continue: true,
          ...(message !== undefined ? { messageFor: message } : {}),
        });
      },
    });
  }
}

function minLength(minimum: number, params?: Message): Check {
  const message = messageOf(params);
  return {
    when: hasLength,
    check(payload) {
      const value = payload.value as { length: number };
      if (lengthOf(value) >= minimum) return;
      payload.issues.push({
        origin: lengthOrigin(value),
        code: 'too_small',
        minimum,
        inclusive: true,
        continue: true,
        ...(message !== undefined ? { messageFor: message } : {}),
      });
    },
  };
}

function maxLength(maximum: number, params?: Message): Check {
  const message = messageOf(params);
  return {
    when: hasLength,
    check(payload) {
      const value = payload.value as { length: number };
      if (lengthOf(value) <= maximum) return;
      payload.issues.push({
        origin: lengthOrigin(value),
        code: 'too_big',
        maximum,
        inclusive: true,
        continue: true,
        ...(message !== undefined ? { messageFor: message } : {}),
      });
    },
  };
}

class NumberSchema extends Schema<number> {
  constructor(private readonly coerce = false) {
    super();
  }

  protected parseType(payload: Payload): Payload {
    if (this.coerce) payload.value = Number(payload.value);
    const input = payload.value;
    if (typeof input === 'number' && Number.isFinite(input)) return payload;
    const received = typeof input === 'number' ? (Number.isNaN(input) ? 'NaN' : String(input)) : undefined;
    payload.issues.push({ expected: 'number', code: 'invalid_type', input, ...(received ? { received } : {}) });
    return payload;
  }

  int(params?: Message): NumberSchema {
    const message = messageOf(params);
    const extra = message !== undefined ? { messageFor: message } : {};
    return this.with({
      check(payload) {
        const input = payload.value as number;
        if (!Number.isInteger(input)) {
          payload.issues.push({ expected: 'int', format: 'safeint', code: 'invalid_type', continue: false, input, ...extra });
        } else if (!Number.isSafeInteger(input)) {
          const note = 'Integers must be within the safe integer range.';
          payload.issues.push(
            input > 0
              ? { code: 'too_big', maximum: Number.MAX_SAFE_INTEGER, note, origin: 'int', inclusive: true, continue: true, ...extra }
              : { code: 'too_small', minimum: Number.MIN_SAFE_INTEGER, note, origin: 'int', inclusive: true, continue: true, ...extra },
          );
        }
      },
    });
  }

  private bound(kind: 'too_small' | 'too_big', limit: number, inclusive: boolean, params?: Message): NumberSchema {
    const message = messageOf(params);
    return this.with({
      check(payload) {
        const value = payload.value as number;
        const ok = kind === 'too_small' ? (inclusive ? value >= limit : value > limit) : inclusive ? value <= limit : value < limit;
        if (ok) return;
        payload.issues.push({
          origin: 'number',
          code: kind,
          ...(kind === 'too_small' ? { minimum: limit } : { maximum: limit }),
          inclusive,
          continue: true,
          ...(message !== undefined ? { messageFor: message } : {}),
        });
      },
    });
  }

  min(minimum: number, params?: Message): NumberSchema {
    return this.bound('too_small', minimum, true, params);
  }

  gt(minimum: number, params?: Message): NumberSchema {
    return this.bound('too_small', minimum, false, params);
  }

  positive(params?: Message): NumberSchema {
    return this.bound('too_small', 0, false, params);
  }

  nonnegative(params?: Message): NumberSchema {
    return this.bound('too_small', 0, true, params);
  }

  max(maximum: number, params?: Message): NumberSchema {
    return this.bound('too_big', maximum, true, params);
  }
}

class BooleanSchema extends Schema<boolean> {
  protected parseType(payload: Payload): Payload {
    if (typeof payload.value !== 'boolean') payload.issues.push({ expected: 'boolean', code: 'invalid_type', input: payload.value });
    return payload;
  }
}

class UnknownSchema extends Schema<unknown> {
  protected parseType(payload: Payload): Payload {
    return payload;
  }
}

type Primitive = string | number | boolean | null | undefined;

class ValuesSchema<T extends Primitive> extends Schema<T> {
  readonly values: Set<unknown>;
  constructor(private readonly list: readonly T[]) {
    super();
    this.values = new Set(list);
  }

  protected parseType(payload: Payload): Payload {
    if (!this.values.has(payload.value)) payload.issues.push({ code: 'invalid_value', values: [...this.list], input: payload.value });
    return payload;
  }
}

class InstanceOfSchema<T> extends Schema<T> {
  constructor(private readonly cls: abstract new (...args: never[]) => T) {
    super();
  }

  protected parseType(payload: Payload): Payload {
    if (!(payload.value instanceof this.cls))
      payload.issues.push({ code: 'invalid_type', expected: this.cls.name, input: payload.value, path: [] });
    return payload;
  }
}

class ArraySchema<S extends Schema<unknown>> extends Schema<Array<Infer<S>>> {
  constructor(readonly element: S) {
    super();
  }

  protected parseType(payload: Payload): Payload {
    const input = payload.value;
    if (!Array.isArray(input)) {
      payload.issues.push({ expected: 'array', code: 'invalid_type', input });
      return payload;
    }
    const out: unknown[] = new Array(input.length);
    input.forEach((item, index) => {
      const result = this.element.run({ value: item, issues: [] });
      if (result.issues.length) payload.issues.push(...prefix(index, result.issues));
      out[index] = result.value;
    });
    payload.value = out;
    return payload;
  }

  min(minimum: number, params?: Message): this {
    return this.with(minLength(minimum, params));
  }
}

type Shape = Record<string, Schema<unknown>>;
type Flatten<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly isOptional: true } ? K : never }[keyof S];
export type ObjectOutput<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;
type Mode = 'strip' | 'strict' | 'loose';
type ModeOutput<S extends Shape, M extends Mode> = M extends 'loose' ? ObjectOutput<S> & { [key: string]: unknown } : ObjectOutput<S>;

class ObjectSchema<S extends Shape, M extends Mode> extends Schema<ModeOutput<S, M>> {
  constructor(
    readonly shape: S,
    private readonly mode: M,
  ) {
    super();
  }

  protected parseType(payload: Payload): Payload {
    const input = payload.value;
    if (!isObject(input)) {
      payload.issues.push({ expected: 'object', code: 'invalid_type', input });
      return payload;
    }
    const out: Record<string, unknown> = {};
    payload.value = out;
    for (const key of Object.keys(this.shape)) {
      if (key === '__proto__') continue;
      const field = this.shape[key]!;
      property(field.run({ value: input[key], issues: [] }), payload, out, key, input, field.optin, field.optout);
    }
    if (this.mode === 'strip') return payload;
    const unrecognized: string[] = [];
    for (const key in input) {
      if (Object.hasOwn(this.shape, key)) continue;
      if (key === '__proto__') {
        if (this.mode === 'strict') unrecognized.push(key);
        continue;
      }
      if (this.mode === 'strict') unrecognized.push(key);
      else property({ value: input[key], issues: [] }, payload, out, key, input, undefined, undefined);
    }
    if (unrecognized.length) payload.issues.push({ code: 'unrecognized_keys', keys: unrecognized, input, continue: true });
    return payload;
  }

  /** The same object with more (or replaced) fields, in the same mode. */
  extend<E extends Shape>(extra: E): ObjectSchema<Omit<S, keyof E> & E, M> {
    return new ObjectSchema({ ...this.shape, ...extra } as Omit<S, keyof E> & E, this.mode);
  }
}

/** zod's handlePropertyResult: how an object keeps (or reports) one field's result. */
function property(
  result: Payload,
  final: Payload,
  out: Record<string, unknown>,
  key: string,
  input: Record<string, unknown>,
  optin: Schema<unknown>['optin'],
  optout: Schema<unknown>['optout'],
): void {
  const present = key in input;
  const optionalOut = optout === 'optional';
  if (!present && optionalOut && optin === 'optional') return;
  if (result.issues.length) {
    if (optin !== undefined && optionalOut && !present) return;
    final.issues.push(...prefix(key, result.issues));
  }
  if (!present && optin === undefined) {
    if (!result.issues.length) final.issues.push({ code: 'invalid_type', expected: 'nonoptional', input: undefined, path: [key] });
    return;
  }
  if (result.value === undefined) {
    if (present || (optin === 'defaulted' && !optionalOut)) out[key] = undefined;
  } else out[key] = result.value;
}

class RecordSchema<K extends Schema<string>, V extends Schema<unknown>> extends Schema<Record<Infer<K>, Infer<V>>> {
  constructor(
    private readonly keyType: K,
    private readonly valueType: V,
  ) {
    super();
  }

  protected parseType(payload: Payload): Payload {
    const input = payload.value;
    if (!isPlainObject(input)) {
      payload.issues.push({ expected: 'record', code: 'invalid_type', input });
      return payload;
    }
    const out: Record<string, unknown> = {};
    payload.value = out;
    const values = this.keyType instanceof ValuesSchema ? (this.keyType.values as Set<string>) : undefined;
    if (values) {
      // An enum of keys: every one is required, any other is unrecognized.
      for (const key of values) {
        const result = this.valueType.run({ value: input[key], issues: [] });
        if (result.issues.length) payload.issues.push(...prefix(key, result.issues));
        out[key] = result.value;
      }
      const unrecognized: string[] = [];
      for (const key in input) if (!values.has(key)) unrecognized.push(key);
      if (unrecognized.length) payload.issues.push({ code: 'unrecognized_keys', input, keys: unrecognized, continue: true });
      return payload;
    }
    for (const key of Object.keys(input)) {
      if (key === '__proto__') continue;
      const keyResult = this.keyType.run({ value: key, issues: [] });
      if (keyResult.issues.length) {
        payload.issues.push({ code: 'invalid_key', origin: 'record', issues: keyResult.issues.map(finalize), input: key, path: [key] });
        continue;
      }
      const result = this.valueType.run({ value: input[key], issues: [] });
      if (result.issues.length) payload.issues.push(...prefix(key, result.issues));
      out[keyResult.value as string] = result.value;
    }
    return payload;
  }
}

class UnionSchema<Options extends readonly Schema<unknown>[]> extends Schema<Infer<Options[number]>> {
  constructor(private readonly options: Options) {
    super();
    this.optin = options.some((o) => o.optin === 'defaulted')
      ? 'defaulted'
      : options.some((o) => o.optin !== undefined)
        ? 'optional'
        : undefined;
    this.optout = options.some((o) => o.optout === 'optional') ? 'optional' : undefined;
  }

  protected parseType(payload: Payload): Payload {
    const results = this.options.map((option) => option.run({ value: payload.value, issues: [] }));
    const ok = results.find((result) => result.issues.length === 0);
    if (ok) {
      payload.value = ok.value;
      return payload;
    }
    // One option that matched the input's shape but failed a check speaks for itself.
    const nonAborted = results.filter((result) => !aborted(result));
    if (nonAborted.length === 1) {
      payload.value = nonAborted[0]!.value;
      payload.issues.push(...nonAborted[0]!.issues);
      return payload;
    }
    payload.issues.push({ code: 'invalid_union', input: payload.value, errors: results.map((result) => result.issues.map(finalize)) });
    return payload;
  }
}

export class OptionalSchema<S extends Schema<unknown>> extends Schema<Infer<S> | undefined> {
  declare readonly isOptional: true;
  constructor(private readonly inner: S) {
    super();
    this.optin = inner.optin === 'defaulted' ? 'defaulted' : 'optional';
    this.optout = 'optional';
  }

  protected parseType(payload: Payload): Payload {
    if (payload.value === undefined) {
      if (this.inner.optin !== 'defaulted') return payload;
      const result = this.inner.run({ value: undefined, issues: [] });
      payload.value = result.issues.length ? undefined : result.value;
      return payload;
    }
    return this.inner.run(payload);
  }
}

export class NullableSchema<S extends Schema<unknown>> extends Schema<Infer<S> | null> {
  constructor(private readonly inner: S) {
    super();
    this.optin = inner.optin;
    this.optout = inner.optout;
  }

  protected parseType(payload: Payload): Payload {
    return payload.value === null ? payload : this.inner.run(payload);
  }
}

export class DefaultSchema<S extends Schema<unknown>> extends Schema<Exclude<Infer<S>, undefined>> {
  constructor(
    private readonly inner: S,
    private readonly defaultValue: unknown,
  ) {
    super();
    this.optin = 'defaulted';
  }

  protected parseType(payload: Payload): Payload {
    if (payload.value === undefined) {
      payload.value = shallowClone(this.defaultValue);
      return payload;
    }
    const result = this.inner.run(payload);
    if (result.value === undefined) result.value = shallowClone(this.defaultValue);
    return result;
  }
}

class TransformSchema<U> extends Schema<U> {
  constructor(private readonly fn: (value: never, ctx: TransformContext) => U) {
    super();
    this.optin = 'optional';
  }

  protected parseType(payload: Payload): Payload {
    const input = payload.value;
    const ctx: TransformContext = {
      addIssue(issue) {
        const raw: RawIssue = { ...issue, code: issue.code ?? 'custom' };
        if (issue.fatal) raw.continue = false;
        if (!('input' in raw)) raw.input = input;
        payload.issues.push(raw);
      },
    };
    payload.value = this.fn(input as never, ctx);
    return payload;
  }
}

class PipeSchema<U> extends Schema<U> {
  constructor(
    private readonly from: Schema<unknown>,
    private readonly to: Schema<U>,
  ) {
    super();
    this.optin = from.optin;
    this.optout = to.optout;
  }

  protected parseType(payload: Payload): Payload {
    const left = this.from.run(payload);
    // Any issue but an unrecognized key stops the pipe: a failed value never reaches the transform.
    if (left.issues.some((issue) => issue.code !== 'unrecognized_keys')) {
      left.aborted = true;
      return left;
    }
    return this.to.run({ value: left.value, issues: left.issues });
  }
}

// zod's ISO datetime patterns (RFC 3339 with seconds; `offset` also allows +hh:mm).
const DATE = `(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))`;
const TIME = `(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?`;
const datetimePattern = (offset: boolean): RegExp =>
  new RegExp(`^${DATE}T(?:${TIME}(?:${['Z', ...(offset ? ['([+-](?:[01]\\d|2[0-3]):[0-5]\\d)'] : [])].join('|')}))$`);

// --- constructors, named as zod names them ---------------------------------------------

export const string = (): StringSchema => new StringSchema();
export const number = (): NumberSchema => new NumberSchema();
export const boolean = (): BooleanSchema => new BooleanSchema();
export const unknown = (): UnknownSchema => new UnknownSchema();
export const literal = <T extends Primitive>(value: T): Schema<T> => new ValuesSchema([value]);
const enumOf = <const T extends readonly [string, ...string[]]>(values: T): Schema<T[number]> => new ValuesSchema<T[number]>(values);
export { enumOf as enum };
export const array = <S extends Schema<unknown>>(element: S): ArraySchema<S> => new ArraySchema(element);
export const record = <K extends Schema<string>, V extends Schema<unknown>>(key: K, value: V): RecordSchema<K, V> =>
  new RecordSchema(key, value);
/** Unknown keys are dropped. */
export const object = <S extends Shape>(shape: S): ObjectSchema<S, 'strip'> => new ObjectSchema(shape, 'strip');
/** Unknown keys are an issue. */
export const strictObject = <S extends Shape>(shape: S): ObjectSchema<S, 'strict'> => new ObjectSchema(shape, 'strict');
/** Unknown keys pass through unchecked. */
export const looseObject = <S extends Shape>(shape: S): ObjectSchema<S, 'loose'> => new ObjectSchema(shape, 'loose');
export const union = <const Options extends readonly Schema<unknown>[]>(options: Options): UnionSchema<Options> => new UnionSchema(options);
const instanceOf = <T>(cls: abstract new (...args: never[]) => T): Schema<T> => new InstanceOfSchema(cls);
export { instanceOf as instanceof };
export const iso = {
  datetime: (options: { offset?: boolean } = {}): StringSchema =>
    new StringSchema({ name: 'datetime', pattern: datetimePattern(options.offset ?? false) }),
};
export const coerce = { number: (): NumberSchema => new NumberSchema(true) };

/** zod's prettifyError: one `✖ message` line per issue (shallowest first), each with `→ at path`. */
export function prettifyError(error: { issues: Issue[] }): string {
  const lines: string[] = [];
  for (const issue of [...error.issues].sort((a, b) => a.path.length - b.path.length)) {
    lines.push(`✖ ${issue.message}`);
    if (issue.path.length) lines.push(`  → at ${toDotPath(issue.path)}`);
  }
  return lines.join('\n');
}

function toDotPath(path: PropertyKey[]): string {
  const segments: string[] = [];
  for (const segment of path) {
    if (typeof segment === 'number') segments.push(`[${segment}]`);
    else if (typeof segment === 'symbol') segments.push(`[${JSON.stringify(String(segment))}]`);
    else if (/[^\w$]/.test(segment)) segments.push(`[${JSON.stringify(segment)}]`);
    else {
      if (segments.length) segments.push('.');
      segments.push(segment);
    }
  }
  return segments.join('');
}
