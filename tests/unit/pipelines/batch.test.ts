import type { BatchItem } from '../../../lib/pipelines/batch';
import { batchObjects, decide, missingFiles, rerunKey, uploadFingerprint } from '../../../lib/pipelines/batch';

const REQUIRED = ['orders', 'customers'];
const object = (file: string, etag = `e-${file}`, sequencer = '0055AED6DCD90281E5') => ({
  bucket: 'b',
  key: `k/${file}.csv`,
  size: 1,
  etag,
  sequencer,
  eventTime: 't',
});

function item(overrides: Partial<BatchItem> = {}): BatchItem {
  return {
    pk: 'orders-daily#2026-11-20',
    pipeline: 'orders-daily',
    batchKey: '2026-11-20',
    arrived: ['customers', 'orders'],
    objects: { orders: object('orders'), customers: object('customers') },
    firstArrivalAt: '2026-11-20T08:00:00.000Z',
    deadline: 0,
    openState: 'OPEN',
    ...overrides,
  };
}

describe('batch state', () => {
  test('a batch missing a file waits, naming it', () => {
    expect(decide(item({ arrived: ['customers'], objects: { customers: object('customers') } }), REQUIRED, false)).toEqual({
      action: 'wait',
      missing: ['orders'],
    });
  });

  test('a complete batch that never started starts under pipeline#batchKey', () => {
    expect(decide(item(), REQUIRED, false)).toMatchObject({ action: 'start', runKey: 'orders-daily#2026-11-20', reupload: false });
  });

  test('a complete started batch with the same uploads is a duplicate', () => {
    const started = item({ startedRunKey: 'orders-daily#2026-11-20', startedFingerprint: uploadFingerprint(item(), REQUIRED) });
    expect(decide(started, REQUIRED, true)).toEqual({ action: 'duplicate', runKey: 'orders-daily#2026-11-20' });
  });

  test('a new upload (new sequencer, even with the same etag) is a re-upload, ignored unless the pipeline opts in', () => {
    const fingerprint = uploadFingerprint(item(), REQUIRED);
    const reuploaded = item({
      objects: { orders: object('orders', 'e-orders', '0055AED6DCD90281F0'), customers: object('customers') },
      startedRunKey: 'orders-daily#2026-11-20',
      startedFingerprint: fingerprint,
    });
    expect(decide(reuploaded, REQUIRED, false)).toEqual({ action: 'reupload-ignored', runKey: 'orders-daily#2026-11-20' });
    expect(decide(reuploaded, REQUIRED, true)).toMatchObject({ action: 'start', reupload: true, runKey: rerunKey(reuploaded, REQUIRED) });
  });

  test('the re-run key depends on the set of etags, not on the order files arrived in', () => {
    const a = item({ arrived: ['orders', 'customers'] });
    const b = item({ objects: { customers: object('customers'), orders: object('orders') } });
    expect(rerunKey(a, REQUIRED)).toBe(rerunKey(b, REQUIRED));
    expect(rerunKey(item({ objects: { orders: object('orders', 'changed'), customers: object('customers') } }), REQUIRED)).not.toBe(
      rerunKey(a, REQUIRED),
    );
  });

  test('objects are listed in registry order without the event time', () => {
    expect(batchObjects(item(), REQUIRED)).toEqual([
      { file: 'orders', bucket: 'b', key: 'k/orders.csv', size: 1, etag: 'e-orders', sequencer: '0055AED6DCD90281E5' },
      { file: 'customers', bucket: 'b', key: 'k/customers.csv', size: 1, etag: 'e-customers', sequencer: '0055AED6DCD90281E5' },
    ]);
    expect(missingFiles(item(), REQUIRED)).toEqual([]);
  });
});
