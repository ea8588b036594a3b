/** stack/schedules.ts: the Scheduler resources a registry gives, as a pure function. */
import { indexRegistry, parseRegistry } from '../../../lib/registry/parse-registry';
import { scheduleInput, scheduleResources, SCHEDULE_DLQ, SCHEDULE_ROLE } from '../../../stack/schedules';

const task =
  '{ taskDefinition: sample-pipeline, container: pipeline, image: "public.ecr.aws/docker/library/node:22-slim", cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800 }';
const registry = (schedules: string) =>
  indexRegistry(
    parseRegistry(`
pipelines:
  nightly-export:
    task: ${task}
    schedule: ${schedules}
  uploads-only:
    trigger: { files: { a: 'in/a-{date}.csv' }, windowMinutes: 5 }
    task: ${task}
`),
  ).registry;
const refs = { service: 'ecs-pipelines', stage: 'prod', targetFunction: 'StartPipelineLambdaFunction' };

test('one schedule per scheduled pipeline, read in its time zone, delivering the scheduled time', () => {
  const resources = scheduleResources(registry('{ expression: cron(30 2 * * ? *), timezone: America/New_York, enabled: false }'), refs);
  expect(Object.keys(resources).sort()).toEqual([SCHEDULE_DLQ, `${SCHEDULE_DLQ}TlsOnly`, 'NightlyExportSchedule', SCHEDULE_ROLE].sort());
  expect(resources.NightlyExportSchedule!.Properties).toMatchObject({
    Name: 'ecs-pipelines-prod-nightly-export',
    ScheduleExpression: 'cron(30 2 * * ? *)',
    ScheduleExpressionTimezone: 'America/New_York',
    State: 'DISABLED',
    Target: { Input: '{"pipeline":"nightly-export","trigger":"schedule","time":"<aws.scheduler.scheduled-time>"}' },
  });
  expect(JSON.parse(scheduleInput('x'))).toEqual({ pipeline: 'x', trigger: 'schedule', time: '<aws.scheduler.scheduled-time>' });
});

test('a schedule without a time zone is read in UTC', () => {
  expect(
    scheduleResources(registry('{ expression: rate(1 hour) }'), refs).NightlyExportSchedule!.Properties.ScheduleExpressionTimezone,
  ).toBe('UTC');
});

test('no scheduled pipeline, no resources (no idle role or queue)', () => {
  const none = indexRegistry(
    parseRegistry(`pipelines:\n  a:\n    trigger: { files: { a: 'in/a-{d}.csv' }, windowMinutes: 5 }\n    task: ${task}\n`),
  ).registry;
  expect(scheduleResources(none, refs)).toEqual({});
});

test("a schedule name over Scheduler's 64 characters is refused, naming the pipeline", () => {
  expect(() => scheduleResources(registry('{ expression: rate(1 hour) }'), { ...refs, stage: 'x'.repeat(40) })).toThrow(
    /pipeline "nightly-export" is longer than 64 characters/,
  );
});

test('the registry refuses a time zone Scheduler would not know, naming the field', () => {
  expect(() => registry('{ expression: rate(1 hour), timezone: Europe/Berlinn }')).toThrow(
    /pipeline "nightly-export", field schedule.timezone: unknown time zone "Europe\/Berlinn"/,
  );
});
