/** The local event bus's input transformer, on the schedule rule's own template and the AWS docs' examples. */
import { transformInput } from '../../../../../local/cloud/wiring/input-transformer';

const scheduledEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: '2026-11-20T06:00:00Z',
  detail: { instance: 'i-0123456789', status: 'RUNNING' },
};

test('an unquoted placeholder in a JSON template becomes the value as JSON', () => {
  const text = transformInput(
    { InputPathsMap: { time: '$.time' }, InputTemplate: '{"pipeline":"inventory-snapshot","trigger":"schedule","time":<time>}' },
    scheduledEvent,
  );
  expect(JSON.parse(text)).toEqual({ pipeline: 'inventory-snapshot', trigger: 'schedule', time: '2026-11-20T06:00:00Z' });
});

test('a placeholder inside a JSON string becomes the value text; text templates stay text', () => {
  const paths = { instance: '$.detail.instance', status: '$.detail.status' };
  const json = transformInput(
    { InputPathsMap: paths, InputTemplate: '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}' },
    scheduledEvent,
  );
  expect(JSON.parse(json)).toEqual({ myInstance: 'i-0123456789', myStatus: 'i-0123456789 is in state "RUNNING"' });
  expect(transformInput({ InputPathsMap: paths, InputTemplate: '<instance> is in state <status>' }, scheduledEvent)).toBe(
    'i-0123456789 is in state RUNNING',
  );
});

test('a path to nothing gives null, and unknown placeholders are left as written', () => {
  const text = transformInput(
    { InputPathsMap: { missing: '$.detail.nope' }, InputTemplate: '{"a":<missing>,"b":"<other>"}' },
    scheduledEvent,
  );
  expect(JSON.parse(text)).toEqual({ a: null, b: '<other>' });
});
