/** The dispatcher's events: an ended execution (with the run in its input) or the schedule. */
import { InvalidDispatchEventError, parseDispatchEvent } from '../../../../lib/pipelines/start/dispatch-event';

const ended = (detail: Record<string, unknown>) => ({
  version: '0',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: 'arn:x', stateMachineArn: 'arn:sm', name: 'inventory-snapshot-eu-a1_abc', status: 'SUCCEEDED', ...detail },
});

test('an ended execution names its run from the execution input', () => {
  const input = JSON.stringify({ runKey: 'inventory-snapshot#eu_2026-12-01', pipeline: 'inventory-snapshot', batchKey: 'eu_2026-12-01' });
  expect(parseDispatchEvent(ended({ input, status: 'ABORTED' }))).toEqual({
    kind: 'ended',
    execution: 'inventory-snapshot-eu-a1_abc',
    status: 'ABORTED',
    run: { runKey: 'inventory-snapshot#eu_2026-12-01', pipeline: 'inventory-snapshot' },
  });
});

test('an ended execution whose input was left out (too large) still triggers a pass', () => {
  expect(parseDispatchEvent(ended({ input: null, inputDetails: { included: false } }))).toEqual({
    kind: 'ended',
    execution: 'inventory-snapshot-eu-a1_abc',
    status: 'SUCCEEDED',
  });
});

test('the schedule, and anything else is refused naming what was expected', () => {
  expect(parseDispatchEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({ kind: 'scheduled' });
  expect(() => parseDispatchEvent(ended({ status: 'RUNNING' }))).toThrow(InvalidDispatchEventError);
  expect(() => parseDispatchEvent({ hello: 1 })).toThrow(
    /dispatchRuns expects a Step Functions Execution Status Change or a Scheduled Event/,
  );
});
