/** trigger.events and trigger.queue in the registry: defaults, and every mistake named with pipeline and field. */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { fileTriggerOf } from '../../../lib/registry/pipeline-index';
import { registryProblems } from '../../helpers/registry';

const TASK = { container: 'app', image: 'example.com/app:1', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
const EVENTS = {
  pattern: { source: ['com.acme.orders'], 'detail-type': ['OrderBatchClosed'], detail: { data: { region: ['AU', 'NZ'] } } },
  batchKey: '$.detail.metadata.idempotency-key',
};
const registryOf = (trigger: unknown) => JSON.stringify({ pipelines: { demo: { trigger, task: TASK } } });

describe('trigger.events', () => {
  test('takes the issue example, on the default bus unless it names another', () => {
    const registry = parseRegistry(registryOf({ events: EVENTS }));
    expect(registry.pipelines.demo!.trigger!.events).toEqual({ bus: 'default', ...EVENTS });
    expect(fileTriggerOf(registry.pipelines.demo)).toBeUndefined();
    for (const bus of ['orders', 'arn:aws:events:eu-west-1:123456789012:event-bus/orders']) {
      expect(parseRegistry(registryOf({ events: { ...EVENTS, bus } })).pipelines.demo!.trigger!.events!.bus).toBe(bus);
    }
  });

  test('an invalid pattern fails packaging, naming the pipeline, the field and what is wrong', () => {
    expect(registryProblems(registryOf({ events: { ...EVENTS, pattern: { source: 'com.acme.orders' } } }))).toEqual([
      'pipeline "demo", field trigger.events.pattern: not a valid event pattern: source: match values go in a list, e.g. source: ["com.acme.orders"]',
    ]);
    expect(registryProblems(registryOf({ events: { ...EVENTS, pattern: { detail: { n: [{ numeric: ['>>', 1] }] } } } }))).toEqual([
      'pipeline "demo", field trigger.events.pattern: not a valid event pattern: detail.n: "numeric" takes operator/number pairs, e.g. [">", 0, "<=", 5]',
    ]);
  });

  test('a batch key that is not a supported JSONPath, and a bus that is neither a name nor an ARN, are refused', () => {
    expect(registryProblems(registryOf({ events: { ...EVENTS, batchKey: 'detail.id' } }))).toEqual([
      'pipeline "demo", field trigger.events.batchKey: "detail.id" is not a JSONPath: it must start with $ (e.g. $.detail.id)',
    ]);
    expect(registryProblems(registryOf({ events: { ...EVENTS, bus: 'arn:aws:sqs:eu-west-1:123456789012:q' } }))[0]).toMatch(
      /^pipeline "demo", field trigger.events.bus: bus "arn:aws:sqs:eu-west-1:123456789012:q" is neither default, a bus name/,
    );
    expect(registryProblems(registryOf({ events: { ...EVENTS, bus: 'aws.partner/x' } }))[0]).toMatch(/field trigger.events.bus/);
  });

  test('one kind of trigger per pipeline; window, prefix and bucket belong to files', () => {
    expect(registryProblems(registryOf({ events: EVENTS, files: { a: 'in/a-{date}.csv' }, windowMinutes: 5 }))).toEqual([
      'pipeline "demo", field trigger.events: a trigger has one of files, events or queue, not files and events: declare another pipeline for the other',
    ]);
    expect(registryProblems(registryOf({ events: EVENTS, windowMinutes: 5 }))).toEqual([
      'pipeline "demo", field trigger.windowMinutes: windowMinutes applies to a files trigger only',
    ]);
    expect(registryProblems(registryOf({ files: { a: 'in/a-{date}.csv' } }))).toEqual([
      'pipeline "demo", field trigger.windowMinutes: a files trigger needs windowMinutes (how long a batch may wait for its files), or complete.quietMinutes',
    ]);
    expect(registryProblems(registryOf({}))).toEqual(['pipeline "demo", field trigger: a trigger has files, events or queue']);
  });
});

describe('trigger.queue', () => {
  test('defaults: a standard queue, three receives before the dead-letter queue', () => {
    expect(parseRegistry(registryOf({ queue: { batchKey: '$.batch' } })).pipelines.demo!.trigger!.queue).toEqual({
      batchKey: '$.batch',
      fifo: false,
      maxReceiveCount: 3,
    });
  });

  test('refuses an unknown key, a bad path and a receive count out of range', () => {
    expect(registryProblems(registryOf({ queue: { batchKey: '$.batch', fifo: false, maxReceiveCount: 0 } }))).toEqual([
      'pipeline "demo", field trigger.queue.maxReceiveCount: maxReceiveCount must be at least 1',
    ]);
    expect(registryProblems(registryOf({ queue: { batchKey: '$..batch' } }))[0]).toMatch(
      /field trigger.queue.batchKey: "\$\.\.batch" is not a supported JSONPath/,
    );
    expect(registryProblems(registryOf({ queue: { batchKey: '$.batch', dlq: true } }))[0]).toMatch(/field trigger.queue: .*dlq/);
  });

  test('schedule.batch needs a files trigger', () => {
    const text = JSON.stringify({
      pipelines: {
        demo: {
          trigger: { queue: { batchKey: '$.batch' } },
          task: TASK,
          schedule: { expression: 'rate(1 hour)', batch: { date: '{fireDate}' } },
        },
      },
    });
    expect(registryProblems(text)).toEqual([
      'pipeline "demo", field schedule.batch: schedule.batch names captures of trigger.files, and this pipeline has no trigger.files',
    ]);
  });
});
