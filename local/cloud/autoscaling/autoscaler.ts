/**
 * The local autoscaler: the same policy math as the deployed target tracking policy
 * (lib/queue-services/target-math.ts) applied to the local queue's backlog on an interval, setting
 * the desired count of local worker processes. One tick stands for one metric datapoint:
 * scale out after `scaleOutEvaluations` ticks above the target, to ceil(backlog / target);
 * scale in after `scaleInEvaluations` ticks below 90 % of it; cooldowns in ticks.
 *
 * With `burst` (the template's step scaling policy and its high-resolution alarm), each tick
 * is also one alarm period of the burst path: after `datapoints` ticks above its threshold the
 * step policy adds capacity in percent of itself (lib/queue-services/burst-math.ts, the
 * template's own StepAdjustments), its cooldown counting what it added, before target tracking
 * is evaluated.
 *
 * With `scaleIn` (the burst path's scale-in on busy slots, registry `burst.scaleIn`), each tick
 * is also one minute of its alarm: busy slots = (visible + in flight) / (running × concurrency);
 * after `datapoints` ticks under its threshold the step policy removes tasks (scaleInCapacity,
 * the template's own StepAdjustments), again each tick the alarm stays breached once its
 * cooldown has passed. No running task is no datapoint, not breaching. `disableScaleIn` (the
 * template's DisableScaleIn) keeps target tracking from scaling in.
 */
import { scaleInCapacity, type StepAdjustment, stepCapacity } from '../../../lib/queue-services/burst-math';
import { busySlots } from '../../../lib/queue-services/busy-slots';
import { backlogPerTask, desiredTasks } from '../../../lib/queue-services/target-math';

export interface BacklogSource {
  visibleMessages(): Promise<number>;
  /** Visible and in-flight messages read together; without it, nothing counts as in flight. */
  depth?(): Promise<{ visible: number; inFlight: number }>;
}

export interface WorkerPool {
  /** Workers consuming now (started, not stopping). */
  running(): number;
  setDesired(count: number): Promise<void>;
}

export interface AutoscalerSettings {
  minTasks: number;
  maxTasks: number;
  /** The current backlog-per-task target (the local updater may change it). */
  target: () => number;
  scaleOutEvaluations?: number;
  scaleInEvaluations?: number;
  scaleOutCooldownTicks?: number;
  scaleInCooldownTicks?: number;
  /** The step scaling policy of the burst path, when the service has one. */
  burst?: BurstStepSettings;
  /** The burst path's scale-in step policy on busy slots, when the service has one. */
  scaleIn?: BurstScaleInSettings;
  /** Target tracking's DisableScaleIn: it never removes tasks. */
  disableScaleIn?: boolean;
}

export interface BurstScaleInSettings {
  /** The alarm's threshold on busy slots (LessThanThreshold). */
  threshold: number;
  /** Consecutive ticks (alarm minutes) under it before the policy runs. */
  datapoints: number;
  /** Negative PercentChangeInCapacity steps keyed on busy - threshold. */
  steps: StepAdjustment[];
  cooldownTicks: number;
  /** Messages one task works on at once (the template's concurrency in the alarm's expression). */
  concurrency: number;
}

export interface BurstStepSettings {
  /** The alarm's threshold on backlog per task. */
  threshold: number;
  /** Consecutive ticks (alarm periods) above it before the policy runs. */
  datapoints: number;
  steps: StepAdjustment[];
  cooldownTicks: number;
  minAdjustmentMagnitude: number;
}

export interface ScalingDecision {
  tick: number;
  visible: number;
  /** Messages received and not yet deleted (0 when the source does not tell). */
  inFlight: number;
  running: number;
  metric: number;
  /** Busy slots, when the service has the burst path's scale-in and a task is running. */
  busy?: number;
  target: number;
  desired: number;
  action: 'burst-out' | 'scale-out' | 'scale-in' | 'burst-in' | 'hold';
}

export class LocalAutoscaler {
  private tickCount = 0;
  private high = 0;
  private low = 0;
  private lastOut = Number.NEGATIVE_INFINITY;
  private lastIn = Number.NEGATIVE_INFINITY;
  private burstHigh = 0;
  private lastBurst = Number.NEGATIVE_INFINITY;
  private beforeBurst = 0;
  private idle = 0;
  private lastBurstIn = Number.NEGATIVE_INFINITY;
  private desired: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backlog: BacklogSource,
    private readonly pool: WorkerPool,
    readonly settings: AutoscalerSettings,
    /** The desired count it starts from (a service already scaled out); the minimum by default. */
    initialDesired = settings.minTasks,
  ) {
    this.desired = initialDesired;
  }

  /** One evaluation: read the backlog, decide, apply. */
  async tick(): Promise<ScalingDecision> {
    const s = this.settings;
    this.tickCount += 1;
    const { visible, inFlight } = this.backlog.depth
      ? await this.backlog.depth()
      : { visible: await this.backlog.visibleMessages(), inFlight: 0 };
    const running = this.pool.running();
    const target = s.target();
    const metric = backlogPerTask(visible, running);
    this.high = metric > target ? this.high + 1 : 0;
    this.low = metric < 0.9 * target ? this.low + 1 : 0;
    let action: ScalingDecision['action'] = 'hold';
    const bounds = { minTasks: s.minTasks, maxTasks: s.maxTasks, target };
    if (s.burst) {
      const b = s.burst;
      this.burstHigh = metric > b.threshold ? this.burstHigh + 1 : 0;
      if (this.burstHigh >= b.datapoints) {
        const inCooldown = this.tickCount - this.lastBurst < b.cooldownTicks;
        const next = stepCapacity({
          capacity: this.desired,
          ...(inCooldown ? { capacityBeforeCooldown: this.beforeBurst } : {}),
          metric,
          threshold: b.threshold,
          steps: b.steps,
          minAdjustmentMagnitude: b.minAdjustmentMagnitude,
          maxCapacity: s.maxTasks,
        });
        if (next > this.desired) {
          if (!inCooldown) this.beforeBurst = this.desired;
          this.lastBurst = this.tickCount;
          this.desired = next;
          action = 'burst-out';
        }
      }
    }
    if (this.high >= (s.scaleOutEvaluations ?? 3) && this.tickCount - this.lastOut >= (s.scaleOutCooldownTicks ?? 1)) {
      const next = Math.max(this.desired, desiredTasks({ visibleMessages: visible, runningTasks: running, ...bounds }));
      if (next > this.desired) {
        this.desired = next;
        this.lastOut = this.tickCount;
        action = 'scale-out';
      }
    } else if (
      action !== 'burst-out' &&
      !s.disableScaleIn &&
      this.low >= (s.scaleInEvaluations ?? 15) &&
      this.tickCount - this.lastIn >= (s.scaleInCooldownTicks ?? 5)
    ) {
      const next = desiredTasks({ visibleMessages: visible, runningTasks: running, ...bounds });
      if (next < this.desired) {
        this.desired = next;
        this.lastIn = this.tickCount;
        action = 'scale-in';
      }
    }
    let busy: number | undefined;
    if (s.scaleIn) {
      const b = s.scaleIn;
      busy = busySlots(visible, inFlight, running, b.concurrency);
      // Missing data (no task reporting) is not breaching: the count starts again.
      this.idle = busy !== undefined && busy < b.threshold ? this.idle + 1 : 0;
      if (action === 'hold' && this.idle >= b.datapoints && this.tickCount - this.lastBurstIn >= b.cooldownTicks) {
        const next = scaleInCapacity({
          capacity: this.desired,
          metric: busy!,
          threshold: b.threshold,
          steps: b.steps,
          minCapacity: s.minTasks,
        });
        if (next < this.desired) {
          this.desired = next;
          this.lastBurstIn = this.tickCount;
          action = 'burst-in';
        }
      }
    }
    // The pool always converges on the desired count (a crashed worker is replaced).
    this.desired = Math.min(s.maxTasks, Math.max(s.minTasks, this.desired));
    await this.pool.setDesired(this.desired);
    return {
      tick: this.tickCount,
      visible,
      inFlight,
      running,
      metric,
      ...(busy !== undefined ? { busy } : {}),
      target,
      desired: this.desired,
      action,
    };
  }

  start(intervalMs: number, onDecision: (decision: ScalingDecision) => void, onError: (error: unknown) => void): void {
    const loop = () => {
      this.tick()
        .then(onDecision, onError)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, intervalMs);
        });
    };
    this.timer = setTimeout(loop, intervalMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
