/**
 * The local EventBridge Scheduler: every AWS::Scheduler::Schedule of the packaged template
 * fires when EventBridge Scheduler would fire it (lib/registry/schedule.ts: in its time zone,
 * across daylight-saving changes) and delivers its target's Input with the context attributes
 * filled in (`<aws.scheduler.scheduled-time>` is the time the firing was scheduled for).
 * Timers use the global clock, so a test with fake timers moves it.
 */
import { randomUUID } from 'node:crypto';
import { nextScheduleTimes } from '../../../lib/registry/schedule';
import type { StackResolver } from '../intrinsics';

export interface LocalSchedule {
  logicalId: string;
  name: string;
  arn: string;
  expression: string;
  timeZone: string;
  enabled: boolean;
  targetArn: string;
  input?: string;
}

interface ScheduleProperties {
  Name?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  State?: string;
  Target: { Arn: string; Input?: string };
}

export function schedulesFromTemplate(resolver: StackResolver): LocalSchedule[] {
  return resolver.resources('AWS::Scheduler::Schedule').map(([id, resource]) => {
    const p = resolver.resolve(resource.Properties, id) as ScheduleProperties;
    const physical = resolver.physicalOf(id);
    return {
      logicalId: id,
      name: physical.ref,
      arn: physical.attributes.Arn!,
      expression: p.ScheduleExpression,
      timeZone: p.ScheduleExpressionTimezone ?? 'UTC',
      enabled: p.State !== 'DISABLED',
      targetArn: p.Target.Arn,
      ...(p.Target.Input !== undefined ? { input: p.Target.Input } : {}),
    };
  });
}

/** The target's payload for one firing: the Input with Scheduler's context attributes replaced. */
export function scheduledPayload(schedule: LocalSchedule, scheduledTime: Date, attempt = 1): unknown {
  if (schedule.input === undefined) return {};
  const values: Record<string, string> = {
    'aws.scheduler.schedule-arn': schedule.arn,
    'aws.scheduler.scheduled-time': scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws.scheduler.execution-id': randomUUID().replace(/-/g, '').slice(0, 16),
    'aws.scheduler.attempt-number': String(attempt),
  };
  const text = schedule.input.replace(/<(aws\.scheduler\.[a-z-]+)>/g, (whole, name: string) => values[name] ?? whole);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class LocalScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly schedules: LocalSchedule[],
    private readonly deliver: (schedule: LocalSchedule, payload: unknown, scheduledTime: Date) => void,
  ) {}

  /** Arms every enabled schedule for its next fire time. */
  start(): void {
    for (const schedule of this.schedules) if (schedule.enabled) this.arm(schedule);
  }

  /** Fires a schedule now, as if `scheduledTime` (default now) had come. */
  fire(nameOrLogicalId: string, scheduledTime = new Date()): void {
    const schedule = this.find(nameOrLogicalId);
    if (!schedule)
      throw new Error(`no schedule named ${nameOrLogicalId} (schedules: ${this.schedules.map((s) => s.name).join(', ') || 'none'})`);
    this.deliver(schedule, scheduledPayload(schedule, scheduledTime), scheduledTime);
  }

  find(nameOrLogicalId: string): LocalSchedule | undefined {
    return this.schedules.find((s) => s.name === nameOrLogicalId || s.logicalId === nameOrLogicalId);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(schedule: LocalSchedule, after = new Date()): void {
    const [next] = nextScheduleTimes(schedule.expression, after, 1, schedule.timeZone);
    if (!next) return;
    // setTimeout holds at most ~24.8 days: re-arm in steps.
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const now = Date.now();
        if (now >= next.getTime()) {
          this.fire(schedule.logicalId, next);
          this.arm(schedule, next);
        } else this.arm(schedule, after);
      },
      Math.min(Math.max(next.getTime() - Date.now(), 0), 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.add(timer);
  }
}
