/** decideByRule: when a batch of unknown size is complete, with which files, and what it leaves out. */
import type { BatchItem, StoredObject } from '../../../lib/pipelines/batch';
import { batchObjects, decideByRule } from '../../../lib/pipelines/batch';

const key = (n: number) => `in/2026-11-20/part-${n}.csv`;
const object = (k: string): StoredObject => ({
  bucket: 'b',
  key: k,
  size: 1,
  etag: `e-${k}`,
  sequencer: '01',
  eventTime: 't',
  file: 'part',
});

function item(arrived: string[], overrides: Partial<BatchItem> = {}): BatchItem {
  return {
    pk: 'parts#2026-11-20',
    pipeline: 'parts',
    batchKey: '2026-11-20',
    arrived,
    objects: Object.fromEntries(arrived.map((k) => [k, object(k)])),
    firstArrivalAt: '2026-11-20T08:00:00.000Z',
    deadline: 0,
    openState: 'OPEN',
    ...overrides,
  };
}

const manifest = { kind: 'manifest', template: 'in/{date}/manifest.json' } as const;
const marker = { kind: 'marker', template: 'in/{date}/_SUCCESS' } as const;
const quiet = { kind: 'quiet', minutes: 15 } as const;

describe('manifest', () => {
  test('files before the manifest wait for it', () => {
    expect(decideByRule(item([key(1), key(2)]), manifest)).toEqual({ action: 'wait', missing: ['(the manifest)'] });
  });

  test('with the manifest, the listed files not yet arrived are missing', () => {
    expect(decideByRule(item([key(1)], { manifestKeys: [key(1), key(2)] }), manifest)).toEqual({ action: 'wait', missing: [key(2)] });
  });

  test('complete: runs with the listed files and the optional ones that arrived; the rest is outside', () => {
    const batch = item([key(1), key(2), key(3), key(9)], { manifestKeys: [key(1), key(2)], manifestOptionalKeys: [key(3), key(4)] });
    const decision = decideByRule(batch, manifest);
    expect(decision).toMatchObject({
      action: 'start',
      runKey: 'parts#2026-11-20',
      members: [key(1), key(2), key(3)],
      outside: [key(9)],
      completedBy: 'manifest',
    });
    expect(batchObjects(batch, decision.action === 'start' ? decision.members : []).map((o) => [o.file, o.key])).toEqual([
      ['part', key(1)],
      ['part', key(2)],
      ['part', key(3)],
    ]);
  });
});

describe('marker', () => {
  test('waits for the marker, then runs with what arrived', () => {
    expect(decideByRule(item([key(1)]), marker)).toEqual({ action: 'wait', missing: ['(the marker)'] });
    expect(decideByRule(item([key(1)], { markerAt: '2026-11-20T09:00:00Z' }), marker)).toMatchObject({
      action: 'start',
      members: [key(1)],
      completedBy: 'marker',
    });
  });
});

describe('quiet period', () => {
  test('an arrival never completes it; the sweeper, once the period passed, does', () => {
    expect(decideByRule(item([key(1)]), quiet)).toEqual({ action: 'wait', missing: [] });
    expect(decideByRule(item([key(1)]), quiet, true)).toMatchObject({ action: 'start', members: [key(1)], completedBy: 'quiet' });
  });
});

test.each([manifest, marker, quiet])('a started %o batch is a duplicate, whatever arrives', (rule) => {
  const started = item([key(1), key(2)], { startedRunKey: 'parts#2026-11-20', manifestKeys: [key(1)], markerAt: 't' });
  expect(decideByRule(started, rule, true)).toEqual({ action: 'duplicate', runKey: 'parts#2026-11-20' });
});

test('the fingerprint is the files the run saw: another upload of one changes it', () => {
  const a = decideByRule(item([key(1)], { markerAt: 't' }), marker);
  const b = decideByRule(
    item([key(1)], { markerAt: 't', objects: { [key(1)]: { ...object(key(1)), etag: 'other', sequencer: '02' } } }),
    marker,
  );
  expect(a.action === 'start' && b.action === 'start' && a.fingerprint !== b.fingerprint).toBe(true);
});
