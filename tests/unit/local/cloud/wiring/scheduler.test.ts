/**
 * The local EventBridge Scheduler on a fake clock: a Berlin 06:00 schedule keeps firing at
 * 06:00 local time across the spring-forward change, delivering the scheduled time; a 02:30
 * schedule skips the day that has no 02:30.
 */
import { LocalScheduler, scheduledPayload, type LocalSchedule } from '../../../../../local/cloud/wiring/scheduler';

const schedule = (overrides: Partial<LocalSchedule>): LocalSchedule => ({
  logicalId: 'InventorySnapshotSchedule',
  name: 'ecs-pipelines-local-inventory-snapshot',
  arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/ecs-pipelines-local-inventory-snapshot',
  expression: 'cron(0 6 * * ? *)',
  timeZone: 'Europe/Berlin',
  enabled: true,
  targetArn: 'arn:aws:lambda:us-east-1:000000000000:function:ecs-pipelines-local-startPipeline',
  input: '{"pipeline":"inventory-snapshot","trigger":"schedule","time":"<aws.scheduler.scheduled-time>"}',
  ...overrides,
});

function run(schedules: LocalSchedule[], from: string, days: number) {
  jest.useFakeTimers({ now: new Date(from) });
  const fired: Array<{ name: string; at: string; payload: unknown }> = [];
  const scheduler = new LocalScheduler(schedules, (s, payload) =>
    fired.push({ name: s.name, at: new Date(Date.now()).toISOString(), payload }),
  );
  scheduler.start();
  jest.advanceTimersByTime(days * 86_400_000);
  scheduler.stop();
  return fired;
}

afterEach(() => jest.useRealTimers());

test('06:00 Europe/Berlin fires at 05:00 UTC before the change and 04:00 UTC after it, with the scheduled time', () => {
  // Berlin moves its clocks forward on 2026-03-29 at 02:00.
  const fired = run([schedule({})], '2026-03-27T12:00:00Z', 4);
  expect(fired.map((f) => f.at)).toEqual([
    '2026-03-28T05:00:00.000Z',
    '2026-03-29T04:00:00.000Z',
    '2026-03-30T04:00:00.000Z',
    '2026-03-31T04:00:00.000Z',
  ]);
  expect(fired.map((f) => (f.payload as { time: string }).time)).toEqual([
    '2026-03-28T05:00:00Z',
    '2026-03-29T04:00:00Z',
    '2026-03-30T04:00:00Z',
    '2026-03-31T04:00:00Z',
  ]);
  expect(fired[0]!.payload).toEqual({ pipeline: 'inventory-snapshot', trigger: 'schedule', time: '2026-03-28T05:00:00Z' });
});

test('02:30 Europe/Berlin does not fire on the day without 02:30, and a disabled schedule never fires', () => {
  const fired = run(
    [schedule({ expression: 'cron(30 2 * * ? *)' }), schedule({ name: 'off', logicalId: 'Off', enabled: false })],
    '2026-03-28T00:00:00Z',
    3,
  );
  expect(fired.map((f) => `${f.name} ${f.at}`)).toEqual([
    'ecs-pipelines-local-inventory-snapshot 2026-03-28T01:30:00.000Z',
    'ecs-pipelines-local-inventory-snapshot 2026-03-30T00:30:00.000Z',
  ]);
});

test('fired by hand, a schedule delivers the time it is fired as of; context attributes are filled in', () => {
  const fired: unknown[] = [];
  const scheduler = new LocalScheduler(
    [
      schedule({
        input: '{"at":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>","attempt":"<aws.scheduler.attempt-number>"}',
      }),
    ],
    (_s, payload) => fired.push(payload),
  );
  scheduler.fire('InventorySnapshotSchedule', new Date('2026-11-20T05:00:00.000Z'));
  expect(fired).toEqual([
    {
      at: '2026-11-20T05:00:00Z',
      arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/ecs-pipelines-local-inventory-snapshot',
      attempt: '1',
    },
  ]);
  expect(() => scheduler.fire('nope')).toThrow(/no schedule named nope \(schedules: ecs-pipelines-local-inventory-snapshot\)/);
  expect(scheduledPayload(schedule({ input: undefined }), new Date())).toEqual({});
});
