import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { registryProblems, minimalPipeline } from '../../helpers/registry';

const shipped = readFileSync(join(__dirname, '../../../pipelines.yml'), 'utf8');

const pipeline = minimalPipeline();

/** A valid registry with one queue service, as YAML (JSON is YAML), with `patch` applied to the service. */
function registryWith(patch: (service: Record<string, any>) => void): string {
  const service: Record<string, any> = {
    queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 },
    task: { container: 'worker', cpu: 256, memory: 512 },
    acceptableLatencySeconds: 60,
    maxTasks: 10,
  };
  patch(service);
  return JSON.stringify({ pipelines: { demo: pipeline }, queueServices: { thumbnails: service } });
}

const problemsOf = registryProblems;

describe('queue services in the registry', () => {
  it('are optional: a registry of pipelines alone stays valid', () => {
    const registry = parseRegistry(JSON.stringify({ pipelines: { demo: pipeline } }));
    expect(registry.queueServices).toBeUndefined();
  });

  it('fill defaults for the queue, cooldowns and the target updater', () => {
    const service = parseRegistry(registryWith(() => undefined)).queueServices!.thumbnails!;
    expect(service.queue.type).toBe('standard');
    expect(service.minTasks).toBe(1);
    expect(service.scaleInCooldownSeconds).toBe(300);
    expect(service.scaleOutCooldownSeconds).toBe(180);
    expect(service.targetUpdate).toEqual({ schedule: 'rate(1 hour)', enabled: true, tolerance: 0.1, maxTarget: 1000 });
    expect(service.scheduledActions).toEqual([]);
  });

  it('accepts a FIFO queue and cron scheduled actions', () => {
    const service = parseRegistry(
      registryWith((s) => {
        s.queue = { type: 'fifo', maxReceiveCount: 5, visibilityTimeoutSeconds: 60, contentBasedDeduplication: true };
        s.scheduledActions = [{ name: 'morning-ramp', schedule: 'cron(40 10 * * ? *)', minTasks: 4, maxTasks: 10 }];
      }),
    ).queueServices!.thumbnails!;
    expect(service.queue.type).toBe('fifo');
    expect(service.scheduledActions[0]!.name).toBe('morning-ramp');
  });

  it('leave the burst path and predictive scaling off unless asked; `{}` takes their defaults', () => {
    const off = parseRegistry(registryWith(() => undefined)).queueServices!.thumbnails!;
    expect(off.burst).toBeUndefined();
    expect(off.predictive).toBeUndefined();
    const on = parseRegistry(
      registryWith((s) => {
        s.burst = {};
        s.predictive = {};
      }),
    ).queueServices!.thumbnails!;
    expect(on.burst).toEqual({
      periodSeconds: 10,
      datapoints: 2,
      thresholdFactor: 0.3,
      cooldownSeconds: 240,
      maxStepPercent: 6400,
      scaleIn: { busyBelow: 0.6, busyTarget: 0.8, maxPercent: 50, datapoints: 5, cooldownSeconds: 300 },
    });
    expect(on.predictive).toEqual({ mode: 'ForecastAndScale', schedulingBufferSeconds: 300, utilization: 0.7 });
    const kept = parseRegistry(registryWith((s) => (s.burst = { scaleIn: false }))).queueServices!.thumbnails!;
    expect(kept.burst!.scaleIn).toBe(false);
  });

  it('ships a valid sample queue service in pipelines.yml', () => {
    const registry = parseRegistry(shipped);
    expect(Object.keys(registry.queueServices ?? {})).not.toHaveLength(0);
  });

  it.each([
    [
      'an unknown queue type',
      (s: any) => (s.queue.type = 'priority'),
      'queue service "thumbnails", field queue.type: queue type is "standard" or "fifo"',
    ],
    [
      'maxReceiveCount 0',
      (s: any) => (s.queue.maxReceiveCount = 0),
      'queue service "thumbnails", field queue.maxReceiveCount: maxReceiveCount must be at least 1',
    ],
    [
      'a visibility timeout over 12 hours',
      (s: any) => (s.queue.visibilityTimeoutSeconds = 50_000),
      'field queue.visibilityTimeoutSeconds: visibilityTimeoutSeconds must be at most 43200',
    ],
    ['minTasks 0', (s: any) => (s.minTasks = 0), 'field minTasks: minTasks must be at least 1'],
    [
      'minTasks above maxTasks',
      (s: any) => ((s.minTasks = 5), (s.maxTasks = 2)),
      'field minTasks: minTasks (5) must not exceed maxTasks (2)',
    ],
    [
      'a zero acceptable latency',
      (s: any) => (s.acceptableLatencySeconds = 0),
      'field acceptableLatencySeconds: acceptableLatencySeconds must be greater than 0',
    ],
    [
      'a tolerance above 1',
      (s: any) => (s.targetUpdate = { tolerance: 2 }),
      'field targetUpdate.tolerance: tolerance is a fraction from 0 to 1',
    ],
    [
      'a maxTarget below 1',
      (s: any) => (s.targetUpdate = { maxTarget: 0.5 }),
      'field targetUpdate.maxTarget: maxTarget must be at least 1',
    ],
    [
      'a bad updater schedule',
      (s: any) => (s.targetUpdate = { schedule: 'every hour' }),
      'field targetUpdate.schedule: bad schedule expression "every hour"',
    ],
    [
      'a rate() scheduled action',
      (s: any) => (s.scheduledActions = [{ name: 'ramp', schedule: 'rate(1 hour)', minTasks: 2 }]),
      'field scheduledActions.0.schedule: a scheduled action needs cron(...)',
    ],
    [
      'a scheduled action with no capacity',
      (s: any) => (s.scheduledActions = [{ name: 'ramp', schedule: 'cron(0 8 * * ? *)' }]),
      'field scheduledActions.0: a scheduled action sets minTasks, maxTasks or both',
    ],
    [
      'a scheduled action with min above max',
      (s: any) => (s.scheduledActions = [{ name: 'ramp', schedule: 'cron(0 8 * * ? *)', minTasks: 5, maxTasks: 2 }]),
      'field scheduledActions.0.minTasks: minTasks must not exceed maxTasks',
    ],
    [
      'a duplicated scheduled action',
      (s: any) =>
        (s.scheduledActions = [
          { name: 'ramp', schedule: 'cron(0 8 * * ? *)', minTasks: 2 },
          { name: 'ramp', schedule: 'cron(0 9 * * ? *)', minTasks: 1 },
        ]),
      'field scheduledActions.1.name: scheduled action "ramp" is declared twice',
    ],
    [
      'a burst alarm period that is not a high-resolution period',
      (s: any) => (s.burst = { periodSeconds: 15 }),
      'field burst.periodSeconds: burst periodSeconds is 10, 20 or 30 (a high-resolution alarm period)',
    ],
    [
      'a burst threshold of 0',
      (s: any) => (s.burst = { thresholdFactor: 0 }),
      'field burst.thresholdFactor: burst thresholdFactor must be greater than 0',
    ],
    [
      'a burst scale-in whose target is not above its threshold',
      (s: any) => (s.burst = { scaleIn: { busyBelow: 0.7, busyTarget: 0.6 } }),
      'field burst.scaleIn.busyTarget: burst scaleIn busyTarget must be greater than busyBelow',
    ],
    [
      'a burst scale-in removing every task at once',
      (s: any) => (s.burst = { scaleIn: { maxPercent: 100 } }),
      'field burst.scaleIn.maxPercent: burst scaleIn maxPercent must be at most 90',
    ],
    ['an unknown burst scale-in key', (s: any) => (s.burst = { scaleIn: { busyFloor: 0.5 } }), 'field burst.scaleIn'],
    [
      'a predictive buffer of a whole forecast hour',
      (s: any) => (s.predictive = { schedulingBufferSeconds: 3600 }),
      'field predictive.schedulingBufferSeconds: predictive schedulingBufferSeconds must be below 3600 (one forecast hour)',
    ],
    [
      'an unknown predictive mode',
      (s: any) => (s.predictive = { mode: 'Forecast' }),
      'field predictive.mode: predictive mode is "ForecastAndScale" or "ForecastOnly"',
    ],
    [
      'content-based deduplication on a standard queue',
      (s: any) => (s.queue.contentBasedDeduplication = true),
      'field queue.contentBasedDeduplication: contentBasedDeduplication applies to FIFO queues only',
    ],
  ])('rejects %s with a message naming the service and field', (_what, patch, message) => {
    const problems = problemsOf(registryWith(patch));
    expect(problems.join('\n')).toContain(message);
  });

  it('rejects a misspelt key instead of ignoring it', () => {
    const problems = problemsOf(registryWith((s) => (s.maxTask = 3)));
    expect(problems.join('\n')).toMatch(/queue service "thumbnails".*maxTask/);
  });

  it('rejects a bad service name', () => {
    const text = JSON.stringify({
      pipelines: { demo: pipeline },
      queueServices: { Thumbs: JSON.parse(registryWith(() => undefined)).queueServices.thumbnails },
    });
    expect(problemsOf(text).join('\n')).toContain('queue service names are lower-case words with dashes');
  });
});
