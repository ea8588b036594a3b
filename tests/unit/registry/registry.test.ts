import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { capturesOfBatchKey, indexRegistry } from '../../../lib/registry/registry';
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { registryProblems, minimalPipeline } from '../../helpers/registry';
import { compilePattern, matchPattern, patternsOverlap } from '../../../lib/registry/patterns';

const shipped = readFileSync(join(__dirname, '../../../pipelines.yml'), 'utf8');

/** A valid one-pipeline registry as YAML, with `patch` applied to the pipeline. */
function registryWith(patch: (pipeline: Record<string, any>) => void, extra: Record<string, unknown> = {}): string {
  const pipeline: Record<string, any> = minimalPipeline();
  patch(pipeline);
  return JSON.stringify({ pipelines: { demo: pipeline, ...extra } });
}

const problemsOf = registryProblems;

describe('the shipped registry', () => {
  it('is valid and indexes the sample pipelines (of files, of events, of activity workers)', () => {
    const index = indexRegistry(parseRegistry(shipped));
    expect(index.names).toEqual(['orders-daily', 'inventory-snapshot', 'order-batch-closed', 'inventory-parts', 'inventory-recount']);
    expect(index.requiredFiles('orders-daily')).toEqual(['orders', 'customers']);
    expect(index.requiredFiles('order-batch-closed')).toEqual([]);
    expect(index.completion('inventory-parts')).toEqual({ kind: 'marker', template: 'incoming/inventory-parts/{date}/_SUCCESS' });
  });

  it('matches keys to pipeline, file and batch key', () => {
    const index = indexRegistry(parseRegistry(shipped));
    expect(index.match(undefined, 'incoming/acme/orders-2026-11-20.csv')).toEqual({
      pipeline: 'orders-daily',
      file: 'orders',
      batchKey: '2026-11-20',
      captures: { date: '2026-11-20' },
    });
    expect(index.match(undefined, 'incoming/inventory/eu-west/snapshot-2026-11-20.csv')).toMatchObject({
      pipeline: 'inventory-snapshot',
      batchKey: 'eu-west_2026-11-20',
    });
    expect(index.match(undefined, 'incoming/acme/readme.txt')).toBeUndefined();
  });

  it('gives two batches whose captures join alike different batch keys (a capture may hold the joining "_")', () => {
    const index = indexRegistry(parseRegistry(shipped));
    const a = index.match(undefined, 'incoming/inventory/eu_west/snapshot-1.csv')!;
    const b = index.match(undefined, 'incoming/inventory/eu/snapshot-west_1.csv')!;
    expect(a.captures).toEqual({ region: 'eu_west', date: '1' });
    expect(b.captures).toEqual({ region: 'eu', date: 'west_1' });
    expect(a.batchKey).not.toBe(b.batchKey);
  });
});

describe('registry validation names the pipeline and field', () => {
  it.each([
    ['an unknown key', (p: any) => (p.task.memroy = 1), 'pipeline "demo", field task: Unrecognized key: "memroy"'],
    [
      'a window of zero',
      (p: any) => (p.trigger.windowMinutes = 0),
      'pipeline "demo", field trigger.windowMinutes: window must be greater than 0',
    ],
    ['a negative window', (p: any) => (p.trigger.windowMinutes = -5), 'field trigger.windowMinutes'],
    ['zero shards', (p: any) => (p.task.shards = 0), 'pipeline "demo", field task.shards: shards must be at least 1'],
    ['21 shards', (p: any) => (p.task.shards = 21), 'pipeline "demo", field task.shards: shards must be at most 20'],
    [
      'a callback without heartbeat',
      (p: any) => (p.task.launch = 'callback'),
      'pipeline "demo", field task.heartbeatSeconds: a callback pipeline needs heartbeatSeconds',
    ],
    ['an unknown launch', (p: any) => (p.task.launch = 'poll'), 'pipeline "demo", field task.launch: launch is sync, callback or activity'],
    [
      'an activity pipeline without heartbeat',
      (p: any) => (p.task.launch = 'activity'),
      'pipeline "demo", field task.heartbeatSeconds: an activity pipeline needs heartbeatSeconds',
    ],
    [
      'workers on a pipeline that is not an activity pipeline',
      (p: any) => (p.task.workers = { minTasks: 1, maxTasks: 2 }),
      'pipeline "demo", field task.workers: workers apply to launch activity only',
    ],
    [
      'more minimum workers than maximum',
      (p: any) => Object.assign(p.task, { launch: 'activity', heartbeatSeconds: 60, workers: { minTasks: 3, maxTasks: 2 } }),
      'pipeline "demo", field task.workers.minTasks: workers.minTasks must not exceed workers.maxTasks',
    ],
    [
      'activity workers on EC2 capacity',
      (p: any) => Object.assign(p.task, { launch: 'activity', heartbeatSeconds: 60, capacity: 'ec2' }),
      'pipeline "demo", field task.capacity: activity workers run on Fargate',
    ],
    [
      'a heartbeat too short for a task to start',
      (p: any) => Object.assign(p.task, { launch: 'callback', heartbeatSeconds: 30 }),
      'pipeline "demo", field task.heartbeatSeconds: heartbeatSeconds must be at least 60',
    ],
    [
      'a bad cron expression',
      (p: any) => (p.schedule = { expression: 'cron(0 25 * * ? *)' }),
      'pipeline "demo", field schedule.expression: bad schedule expression "cron(0 25 * * ? *)": hours value 25 is outside 0-23',
    ],
    ['a five-field cron', (p: any) => (p.schedule = { expression: 'cron(0 6 * * *)' }), 'cron needs 6 fields'],
    [
      'a cron with two day fields',
      (p: any) => (p.schedule = { expression: 'cron(0 6 * * MON *)' }),
      'exactly one of day-of-month and day-of-week must be "?"',
    ],
    [
      'files with different captures',
      (p: any) => (p.trigger.files.customers = 'in/customers-{day}.csv'),
      'field trigger.files.customers: captures {day} differ from {date}',
    ],
    ['a pattern with a stray brace', (p: any) => (p.trigger.files.orders = 'in/orders-{date.csv'), 'brace'],
    [
      'an environment variable the run sets itself',
      (p: any) => (p.task.environment = { RUN_KEY: 'x' }),
      'pipeline "demo", field task.environment: RUN_KEY is set by the run itself',
    ],
    ['a pattern outside the prefix', (p: any) => (p.trigger.prefix = 'other/'), 'pattern does not start with the prefix "other/"'],
    [
      'a schedule batch of a capture the files lack',
      (p: any) => (p.schedule = { expression: 'cron(0 6 * * ? *)', batch: { day: '{fireDate}' } }),
      'pipeline "demo", field schedule.batch.day: {day} is not a capture of trigger.files (the batch key is {date})',
    ],
    [
      'a schedule batch template that is not one',
      (p: any) => (p.schedule = { expression: 'cron(0 6 * * ? *)', batch: { date: '{yesterday}' } }),
      'pipeline "demo", field schedule.batch.date: "{yesterday}" in "{yesterday}" is not a fire time expression',
    ],
    [
      'a schedule batch on a pipeline without files',
      (p: any) => {
        delete p.trigger;
        p.schedule = { expression: 'cron(0 6 * * ? *)', batch: { date: '{fireDate}' } };
      },
      'pipeline "demo", field schedule.batch: schedule.batch names captures of trigger.files, and this pipeline has no trigger',
    ],
    [
      'whenIncomplete without a batch',
      (p: any) => (p.schedule = { expression: 'cron(0 6 * * ? *)', whenIncomplete: 'run' }),
      'pipeline "demo", field schedule.whenIncomplete: whenIncomplete applies to a schedule that runs batches',
    ],
    [
      'an unknown whenIncomplete',
      (p: any) => (p.schedule = { expression: 'cron(0 6 * * ? *)', batch: { date: '{fireDate}' }, whenIncomplete: 'wait' }),
      'pipeline "demo", field schedule.whenIncomplete: whenIncomplete is run, skip or notify',
    ],
  ])('rejects %s', (_name, patch, message) => {
    const problems = problemsOf(registryWith(patch));
    expect(problems.join('\n')).toContain(message);
  });

  it('rejects two activity pipelines sharing a task definition (its workers poll one activity), naming both', () => {
    const other = {
      trigger: { files: { returns: 'in/returns-{date}.csv' }, windowMinutes: 60 },
      task: {
        taskDefinition: 'sample',
        container: 'app',
        image: 'example.com/app:1',
        cpu: 256,
        memory: 512,
        launch: 'activity',
        heartbeatSeconds: 60,
        timeoutSeconds: 600,
      },
    };
    const activity = (p: Record<string, any>) => Object.assign(p.task, { launch: 'activity', heartbeatSeconds: 60 });
    expect(problemsOf(registryWith(activity, { other })).join('\n')).toContain(
      'pipeline "other", field task.taskDefinition: shares task definition "sample" with pipeline "demo", and both have launch activity',
    );
    // One activity pipeline beside a sync pipeline on one task definition is fine.
    const sync = { ...other, task: { ...other.task, launch: 'sync' } };
    expect(parseRegistry(registryWith(activity, { other: sync })).pipelines.other!.task.taskDefinition).toBe('sample');
  });

  it('accepts an activity pipeline with its own task definition, its workers defaulting to 1..4', () => {
    const registry = parseRegistry(registryWith((p) => Object.assign(p.task, { launch: 'activity', heartbeatSeconds: 60, workers: {} })));
    expect(registry.pipelines.demo!.task.workers).toEqual({ minTasks: 1, maxTasks: 4, stopTimeoutSeconds: 30 });
  });

  it('rejects two pipelines whose patterns can match the same key', () => {
    const problems = problemsOf(
      registryWith(() => undefined, {
        other: {
          trigger: { files: { all: 'in/{name}-2026.csv' }, windowMinutes: 5 },
          task: {
            taskDefinition: 'sample',
            container: 'app',
            image: 'example.com/app:1',
            cpu: 256,
            memory: 512,
            launch: 'sync',
            timeoutSeconds: 600,
          },
        },
      }),
    );
    expect(problems).toEqual([
      'pipelines "demo" and "other", field trigger.files: patterns "in/orders-{date}.csv" (orders) and "in/{name}-2026.csv" (all) can match the same key; every key must belong to one file of one pipeline',
    ]);
  });

  it('rejects a pipeline name that cannot name AWS resources', () => {
    const text = registryWith(() => undefined).replace('"demo"', '"Demo Pipeline"');
    expect(problemsOf(text).join()).toContain('pipeline names are lower-case words');
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseRegistry('pipelines: [unclosed', 'my.yml')).toThrow(/my\.yml: not valid YAML/);
  });
});

describe('batch keys', () => {
  it('reads capture values back from a batch key, escapes included', () => {
    const index = indexRegistry(parseRegistry(shipped));
    const key = index.match(undefined, 'incoming/inventory/eu_west~1/snapshot-2026-11-20.csv')!.batchKey;
    expect(capturesOfBatchKey(index.captures('inventory-snapshot'), key)).toEqual({ region: 'eu_west~1', date: '2026-11-20' });
    expect(capturesOfBatchKey(['date'], '2026-11-20')).toEqual({ date: '2026-11-20' });
    expect(capturesOfBatchKey(['region', 'date'], 'no-separator')).toBeUndefined();
  });

  it('accepts a schedule that maps captures to fire time templates and says what to do when incomplete', () => {
    const registry = parseRegistry(
      registryWith(
        (p) => (p.schedule = { expression: 'cron(0 6 * * ? *)', batch: { date: '{fireDate - 1 day}' }, whenIncomplete: 'skip' }),
      ),
    );
    expect(registry.pipelines.demo!.schedule).toEqual({
      expression: 'cron(0 6 * * ? *)',
      timezone: 'UTC',
      enabled: true,
      batch: { date: '{fireDate - 1 day}' },
      whenIncomplete: 'skip',
    });
  });
});

describe('patterns', () => {
  it('rejects captures side by side, whose split would be ambiguous', () => {
    expect(() => compilePattern('in/{a}{b}.csv')).toThrow(/side by side/);
  });

  it('captures stop at folder boundaries', () => {
    const pattern = compilePattern('in/{region}/data-{date}.csv');
    expect(matchPattern(pattern, 'in/eu/data-2026.csv')).toEqual({ region: 'eu', date: '2026' });
    expect(matchPattern(pattern, 'in/eu/x/data-2026.csv')).toBeUndefined();
  });

  it('treats regex characters in patterns literally', () => {
    const pattern = compilePattern('in/a+b (1).csv');
    expect(matchPattern(pattern, 'in/a+b (1).csv')).toEqual({});
    expect(matchPattern(pattern, 'in/aab (1).csv')).toBeUndefined();
  });

  it.each([
    ['in/orders-{d}.csv', 'in/{x}-2026.csv', true],
    ['in/orders-{d}.csv', 'in/customers-{d}.csv', false],
    ['in/{a}.csv', 'in/{b}.json', false],
    ['in/{a}/x.csv', 'in/x.csv', false],
    ['in/{a}b', 'in/{c}', true],
    ['a/{x}.csv', 'a/.csv', false],
  ])('overlap of %s and %s is %s', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });
});

describe('bucket ownership', () => {
  const index = indexRegistry(
    parseRegistry(
      registryWith(() => undefined, {
        partner: {
          trigger: { bucket: 'partner-drop', files: { feed: 'in/orders-{date}.csv' }, windowMinutes: 5 },
          task: {
            taskDefinition: 'sample',
            container: 'app',
            image: 'example.com/app:1',
            cpu: 256,
            memory: 512,
            launch: 'sync',
            timeoutSeconds: 600,
          },
        },
      }),
    ),
  );

  it('gives keys of the default bucket to pipelines that name no bucket', () => {
    expect(index.match('uploads', 'in/orders-1.csv', 'uploads')?.pipeline).toBe('demo');
  });

  it('gives the same key in a named bucket to the pipeline that names it', () => {
    expect(index.match('partner-drop', 'in/orders-1.csv', 'uploads')?.pipeline).toBe('partner');
  });

  it('lets no pipeline claim keys of a bucket it does not watch', () => {
    expect(index.match('someone-else', 'in/orders-1.csv', 'uploads')).toBeUndefined();
  });
});
