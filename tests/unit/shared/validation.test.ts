/**
 * lib/shared/validation.ts promises zod's results at a fraction of its size. Each schema below
 * is written once and built with both libraries (their APIs match for what the project uses);
 * every input, a valid sample and hundreds of variants of it, must give the same success,
 * the same data (field order included), the same issues (as JSON: code, path, message and
 * details) and the same prettifyError text.
 */
import * as z from 'zod';
import * as v from '../../../lib/shared/validation';

// Either library, as the schema builders see it.
type Lib = any;

const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  70000,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 60,
  '',
  ' ',
  'x',
  '/p',
  'ALARM',
  'subnet-1',
  '2026-11-20T10:00:00Z',
  '2026-11-20T10:00:00+02:00',
  '2026-13-01T00:00:00Z',
  true,
  false,
  [],
  ['x'],
  [1],
  {},
  { a: 1 },
  new Set(['b', 'a']),
  new Date(0),
];

/** The sample, with each value at each path (deepest included) deleted or replaced by each odd value, plus extra keys. */
function variantsOf(sample: unknown): unknown[] {
  const out: unknown[] = [sample, ...ODD_VALUES];
  const walk = (value: unknown, rebuild: (replacement: unknown, remove?: boolean) => unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        const at = (replacement: unknown, remove?: boolean) =>
          rebuild(remove ? value.filter((_, i) => i !== index) : value.map((x, i) => (i === index ? replacement : x)));
        out.push(at(undefined, true));
        for (const odd of ODD_VALUES) out.push(at(odd));
        walk(item, at);
      });
      out.push(rebuild([...value, value[0] ?? 'extra']));
      return;
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Set) && !(value instanceof Date)) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const at = (replacement: unknown, remove?: boolean) => {
          const copy = { ...record };
          if (remove) delete copy[key];
          else copy[key] = replacement;
          return rebuild(copy);
        };
        out.push(at(undefined, true));
        for (const odd of ODD_VALUES) out.push(at(odd));
        walk(record[key], at);
      }
      out.push(rebuild({ ...record, unexpected: 1 }), rebuild({ ...record, 'odd key': 'x', other: 2 }));
    }
  };
  walk(sample, (replacement) => replacement);
  return out;
}

/** What a result shows a user or the code: JSON keeps field order, which toEqual would not compare. */
function observe(lib: Lib, schema: any, input: unknown) {
  const result = schema.safeParse(input);
  if (result.success)
    return {
      success: true,
      data: JSON.stringify(result.data, (_, x) => (x === undefined ? '<undefined>' : x instanceof Set ? [...x] : x)),
      raw: result.data,
    };
  return { success: false, issues: JSON.stringify(result.error.issues), pretty: lib.prettifyError(result.error) };
}

const CASES: Array<[string, (lib: Lib) => any, unknown[]]> = [
  [
    'a strict object of checked strings and numbers (a file arrival)',
    (l) =>
      l.strictObject({
        pipeline: l.string(),
        key: l.string().min(1),
        size: l.number().int().nonnegative(),
        versionId: l.string().optional(),
        source: l.enum(['s3', 'eventbridge', 'sqs', 'sns', 'manual']),
        time: l.iso.datetime().optional(),
      }),
    [{ pipeline: 'p', key: 'k', size: 3, versionId: 'v', source: 's3', time: '2026-11-20T10:00:00.123Z' }],
  ],
  [
    'a loose object with nullish, defaults and an array of loose objects (an ECS task)',
    (l) =>
      l.looseObject({
        taskArn: l.string().optional(),
        stopCode: l.string().nullish(),
        containers: l.array(l.looseObject({ name: l.string().optional(), exitCode: l.number().int().nullish() })).default([]),
        reason: l.string().default(''),
      }),
    [{ taskArn: 'arn', stopCode: null, containers: [{ name: 'app', exitCode: 0, extra: true }], reason: 'r', more: 1 }],
  ],
  [
    'a plain object that strips unknown keys, nested, with a literal (an SQS record)',
    (l) =>
      l.object({
        messageId: l.string(),
        body: l.string(),
        eventSource: l.literal('aws:sqs'),
        attrs: l.object({ n: l.number().optional() }).optional(),
      }),
    [{ messageId: 'm', body: '{}', eventSource: 'aws:sqs', attrs: { n: 1, dropped: true }, other: 'x' }],
  ],
  [
    'numbers with bounds and custom messages',
    (l) =>
      l.strictObject({
        port: l.number().int().min(1).max(65535),
        max: l.number().int().min(1, 'at least 1').max(1000, 'at most 1000').default(50),
        ratio: l.number().gt(0, 'above 0').max(1).optional(),
        count: l.number().positive(),
      }),
    [{ port: 8080, max: 10, ratio: 0.5, count: 2 }],
  ],
  [
    'strings with length, pattern and prefix checks',
    (l) =>
      l.strictObject({
        eventId: l
          .string()
          .min(1)
          .max(20)
          .regex(/^[\x21-\x7e]+$/, 'eventId must be printable ASCII without spaces'),
        uri: l.string().startsWith('/'),
        subnets: l.array(l.string().regex(/^subnet-/, 'subnet ids start with subnet-')).min(1, 'at least one subnet'),
        plain: l.string().regex(/^[a-z]+$/),
      }),
    [{ eventId: 'evt-1', uri: '/hook', subnets: ['subnet-1', 'subnet-2'], plain: 'abc' }],
  ],
  [
    'records: string keys, any values; enum keys, all required',
    (l) =>
      l.strictObject({
        payload: l.record(l.string(), l.unknown()),
        queues: l.record(l.enum(['watcher', 'fan-in', 'start']), l.string().min(1)),
        services: l.record(l.string(), l.strictObject({ serviceName: l.string().min(1) })).optional(),
      }),
    [{ payload: { a: 1, b: [2] }, queues: { watcher: 'u1', 'fan-in': 'u2', start: 'u3' }, services: { s: { serviceName: 'n' } } }],
  ],
  [
    'a union of strict objects (a start event)',
    (l) =>
      l.union([
        l.strictObject({ pipeline: l.string().min(1), trigger: l.literal('schedule'), time: l.iso.datetime({ offset: true }).optional() }),
        l.strictObject({ pipeline: l.string().min(1), batch: l.string().min(1).optional(), force: l.boolean().optional() }),
      ]),
    [
      { pipeline: 'p', trigger: 'schedule', time: '2026-11-20T10:00:00+01:00' },
      { pipeline: 'p', batch: 'b', force: true },
      { pipeline: '', batch: 'b' },
      { pipeline: 'p', batch: 'b', trigger: 'manual' },
    ],
  ],
  [
    'unknown fields are required keys; a refine across fields',
    (l) =>
      l
        .object({
          requestPayload: l.unknown(),
          responsePayload: l.unknown().optional(),
          min: l.number().default(1),
          max: l.number().default(5),
        })
        .refine((e: { min: number; max: number }) => e.min <= e.max, 'min must not exceed max'),
    [
      { requestPayload: { a: 1 }, responsePayload: null, min: 1, max: 2 },
      { requestPayload: 1, min: 9, max: 2 },
      { min: 9, max: 2 },
    ],
  ],
  [
    'a Set turned into a sorted list, and extend',
    (l) =>
      l
        .looseObject({ pk: l.string() })
        .extend({ arrived: l.instanceof(Set).transform((set: Set<unknown>) => [...set].map(String).sort()), ttl: l.number().optional() }),
    [{ pk: 'p', arrived: new Set(['b', 'a']), ttl: 5, other: 1 }],
  ],
  [
    'coerced numbers and enums, as environment variables arrive',
    (l) =>
      l.strictObject({
        n: l.coerce.number().int().positive(),
        attempts: l.coerce.number().int().min(1).max(10),
        ip: l.enum(['ENABLED', 'DISABLED']),
      }),
    [
      { n: '3', attempts: '10', ip: 'ENABLED' },
      { n: 'abc', attempts: '0', ip: 'enabled' },
      { n: '1.5', attempts: '11', ip: 'DISABLED' },
      { n: '', attempts: ' ', ip: 'ENABLED' },
    ],
  ],
  [
    'a transform that reports an issue, piped into a schema',
    (l) =>
      l
        .string()
        .transform((raw: string, ctx: any) => {
          try {
            return JSON.parse(raw) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'is not JSON' });
            return l.NEVER;
          }
        })
        .pipe(l.array(l.strictObject({ key: l.string(), size: l.number().int().nonnegative() })).min(1)),
    ['[{"key":"k","size":1}]', '[]', 'not json', '[{"key":1}]', '{"key":"k"}', 5],
  ],
];

describe('lib/shared/validation gives zod’s results', () => {
  it.each(CASES)('%s', (_name, build, samples) => {
    const zodSchema = build(z);
    const ownSchema = build(v);
    let compared = 0;
    for (const input of samples.flatMap(variantsOf)) {
      const expected = observe(z, zodSchema, input);
      const actual = observe(v, ownSchema, input);
      // Prepare / Act done above; Assess with the input in the message for a readable failure.
      expect({ input, ...actual, raw: undefined }).toEqual({ input, ...expected, raw: undefined });
      if (expected.success) expect(actual.raw).toEqual(expected.raw);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(samples.length);
  });

  it('parse throws a ValidationError whose message lists the issues as zod’s does', () => {
    const build = (l: Lib) => l.object({ queueService: l.string().min(1) });
    const zodError = (() => {
      try {
        build(z).parse({ queueService: '' });
      } catch (error) {
        return error as Error;
      }
      throw new Error('zod accepted');
    })();
    expect(() => build(v).parse({ queueService: '' })).toThrow(v.ValidationError);
    expect(() => build(v).parse({ queueService: '' })).toThrow(zodError.message);
    expect(zodError.message).toContain('"path": [\n      "queueService"\n    ]');
  });

  it('keeps schemas immutable: a check added to a copy leaves the original alone', () => {
    const text = v.string();
    const nonEmpty = text.min(1);
    expect(text.safeParse('').success).toBe(true);
    expect(nonEmpty.safeParse('').success).toBe(false);
  });
});
