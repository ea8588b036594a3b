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
 * is evaluated. Only target tracking scales in.
 */
import { type StepAdjustment, stepCapacity } from '../../../lib/queue-services/burst-math';
import { backlogPerTask, desiredTasks } from '../../../lib/queue-services/target-math';

export interface BacklogSource {
  visibleMessages(): Promise<number>;
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
  running: number;
  metric: number;
  target: number;
  desired: number;
  action: 'burst-out' | 'scale-out' | 'scale-in' | 'hold';
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
  private desired: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backlog: BacklogSource,
    private readonly pool: WorkerPool,
    readonly settings: AutoscalerSettings,
  ) {
    this.desired = settings.minTasks;
  }

  /** One evaluation: read the backlog, decide, apply. */
  async tick(): Promise<ScalingDecision> {
    const s = this.settings;
    this.tickCount += 1;
    const visible = await this.backlog.visibleMessages();
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
    // The pool always converges on the desired count (a crashed worker is replaced).
    this.desired = Math.min(s.maxTasks, Math.max(s.minTasks, this.desired));
    await this.pool.setDesired(this.desired);
    return { tick: this.tickCount, visible, running, metric, target, desired: this.desired, action };
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
