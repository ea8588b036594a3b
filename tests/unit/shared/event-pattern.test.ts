/** The one EventBridge pattern implementation: matching (local cloud) and validity (package time). */
import { eventPatternProblems, matchesPattern } from '../../../lib/shared/event-pattern';

const ISSUE_PATTERN = { source: ['com.acme.orders'], 'detail-type': ['OrderBatchClosed'], detail: { data: { region: ['AU', 'NZ'] } } };
const event = (region: string) => ({
  source: 'com.acme.orders',
  'detail-type': 'OrderBatchClosed',
  detail: { data: { region }, metadata: { 'idempotency-key': 'k1' } },
});

describe('eventPatternProblems', () => {
  test('accepts the patterns the matcher implements', () => {
    expect(eventPatternProblems(ISSUE_PATTERN)).toEqual([]);
    expect(
      eventPatternProblems({
        detail: {
          size: [{ numeric: ['>', 0, '<=', 5] }],
          key: [{ prefix: 'incoming/' }, { suffix: '.csv' }, { wildcard: 'a*b' }],
          region: [{ 'anything-but': ['EU'] }],
          owner: [{ exists: false }],
          name: [{ 'equals-ignore-case': 'x' }, { prefix: { 'equals-ignore-case': 'Y' } }],
          absent: [null],
        },
      }),
    ).toEqual([]);
  });

  test('names the field and the problem of each invalid part', () => {
    expect(eventPatternProblems({})).toEqual(['pattern: a pattern needs at least one field']);
    expect(eventPatternProblems({ source: 'com.acme.orders' })).toEqual([
      'source: match values go in a list, e.g. source: ["com.acme.orders"]',
    ]);
    expect(eventPatternProblems({ detail: { region: [] } })).toEqual(['detail.region: an empty list matches nothing']);
    expect(eventPatternProblems({ detail: { ip: [{ cidr: '10.0.0.0/8' }] } })).toEqual([
      'detail.ip: unknown operator "cidr" (supported: prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard)',
    ]);
    expect(eventPatternProblems({ n: [{ numeric: ['>', 'five'] }] })).toEqual([
      'n: "numeric" takes operator/number pairs, e.g. [">", 0, "<=", 5]',
    ]);
    expect(eventPatternProblems({ e: [{ exists: 'yes' }] })).toEqual(['e: "exists" takes true or false']);
    expect(eventPatternProblems({ e: [{ prefix: 'a', suffix: 'b' }] })).toEqual([
      'e: an operator object holds exactly one operator, not {"prefix":"a","suffix":"b"}',
    ]);
  });
});

describe('matchesPattern', () => {
  test('the issue pattern matches AU and NZ batches and nothing else', () => {
    expect(matchesPattern(ISSUE_PATTERN, event('AU'))).toBe(true);
    expect(matchesPattern(ISSUE_PATTERN, event('NZ'))).toBe(true);
    expect(matchesPattern(ISSUE_PATTERN, event('EU'))).toBe(false);
    expect(matchesPattern(ISSUE_PATTERN, { ...event('AU'), source: 'com.acme.billing' })).toBe(false);
  });
});
