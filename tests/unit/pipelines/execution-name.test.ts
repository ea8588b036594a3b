import { executionArnOf, executionName, MAX_EXECUTION_NAME_LENGTH } from '../../../lib/pipelines/execution-name';

const VALID = /^[A-Za-z0-9_-]{1,80}$/;

describe('executionName', () => {
  test('is readable and deterministic for a short batch key', () => {
    const parts = { pipeline: 'orders-daily', batchKey: '2026-11-20', runKey: 'orders-daily#2026-11-20', attempt: 1 };
    const name = executionName(parts);
    expect(name).toMatch(/^orders-daily-2026-11-20-a1_[0-9a-f]{12}$/);
    expect(executionName({ ...parts })).toBe(name);
  });

  test('stays within 80 characters of [A-Za-z0-9-_] for a very long batch key, keeping attempt and hash', () => {
    const batchKey = 'region-'.repeat(40);
    const name = executionName({ pipeline: 'inventory-snapshot', batchKey, runKey: `inventory-snapshot#${batchKey}`, attempt: 12 });
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
    expect(name).toMatch(VALID);
    expect(name).toMatch(/^inventory-snapshot-region-.*-a12_[0-9a-f]{12}$/);
  });

  test('turns unicode, spaces and symbols into a valid name and keeps keys that read alike apart', () => {
    const a = executionName({
      pipeline: 'orders-daily',
      batchKey: 'Zürich 2026/11:20 ✓',
      runKey: 'orders-daily#Zürich 2026/11:20 ✓',
      attempt: 1,
    });
    const b = executionName({
      pipeline: 'orders-daily',
      batchKey: 'Zurich-2026-11-20',
      runKey: 'orders-daily#Zurich-2026-11-20',
      attempt: 1,
    });
    expect(a).toMatch(VALID);
    expect(a).toMatch(/^orders-daily-Zurich-2026-11-20-a1_/);
    expect(b).toMatch(/^orders-daily-Zurich-2026-11-20-a1_/);
    expect(a).not.toBe(b);
  });

  test('a batch key of nothing but symbols still gives a valid name', () => {
    const name = executionName({ pipeline: 'p', batchKey: '日本語', runKey: 'p#日本語', attempt: 1 });
    expect(name).toMatch(VALID);
  });

  test('a new attempt gives a new name', () => {
    const parts = { pipeline: 'orders-daily', batchKey: '2026-11-20', runKey: 'orders-daily#2026-11-20' };
    expect(executionName({ ...parts, attempt: 1 })).not.toBe(executionName({ ...parts, attempt: 2 }));
  });

  test('rejects an attempt below 1', () => {
    expect(() => executionName({ pipeline: 'p', batchKey: 'b', runKey: 'p#b', attempt: 0 })).toThrow(RangeError);
  });

  test('executionArnOf maps a state machine ARN to its execution ARN', () => {
    expect(executionArnOf('arn:aws:states:us-east-1:123456789012:stateMachine:sm', 'run-1')).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
    );
  });
});
