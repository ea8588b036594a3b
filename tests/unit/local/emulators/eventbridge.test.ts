/** The local EventBridge API: PutEvents builds events as EventBridge does and answers entry errors in Entries. */
import { AwsApiError } from '../../../../local/emulators/aws-json-server';
import { eventBridgeOperations, type PutEvent } from '../../../../local/emulators/eventbridge/server';

function setup() {
  const routed: Array<[string, PutEvent]> = [];
  const ops = eventBridgeOperations(
    { buses: () => ['default', 'payments'], route: (bus, event) => (routed.push([bus, event]), 1) },
    { region: 'us-east-1', accountId: '000000000000' },
  );
  return { ops, routed };
}
const entry = (extra: Record<string, unknown> = {}) => ({
  Source: 'com.acme.orders',
  DetailType: 'OrderBatchClosed',
  Detail: '{"a":1}',
  ...extra,
});

test('an entry becomes an event on its bus (by name or ARN), with id, time, account and region', () => {
  const { ops, routed } = setup();
  const out = ops.PutEvents({
    Entries: [entry(), entry({ EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/payments', Resources: ['r1'] })],
  });
  expect(out.FailedEntryCount).toBe(0);
  expect(routed.map(([bus]) => bus)).toEqual(['default', 'payments']);
  expect(routed[0]![1]).toEqual({
    version: '0',
    id: (out.Entries[0] as { EventId: string }).EventId,
    'detail-type': 'OrderBatchClosed',
    source: 'com.acme.orders',
    account: '000000000000',
    time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    region: 'us-east-1',
    resources: [],
    detail: { a: 1 },
  });
  expect(routed[1]![1].resources).toEqual(['r1']);
});

test('bad entries fail one by one and are not routed; more than ten entries fail the call', () => {
  const { ops, routed } = setup();
  const out = ops.PutEvents({ Entries: [entry({ Detail: '[1]' }), entry({ EventBusName: 'orders' }), { Source: 'x' }, entry()] });
  expect(out.FailedEntryCount).toBe(3);
  expect(out.Entries.map((e) => ('ErrorCode' in e ? e.ErrorCode : 'ok'))).toEqual([
    'MalformedDetail',
    'ResourceNotFoundException',
    'MalformedDetail',
    'ok',
  ]);
  expect(routed).toHaveLength(1);
  expect(() => ops.PutEvents({ Entries: Array.from({ length: 11 }, () => entry()) })).toThrow(AwsApiError);
});
