/**
 * The model behind bench/scaling-sim.ts: a queue service on ECS scaled by an Application
 * Auto Scaling target tracking policy, one second at a time, deterministic for a seed.
 *
 * What is modelled, and the documentation it follows:
 * - Metric: one datapoint a minute (SQS publishes ApproximateNumberOfMessagesVisible and
 *   Container Insights RunningTaskCount at one-minute intervals), seen by the alarms
 *   METRIC_DELAY_MINUTES late (a datapoint is complete only after its minute closes).
 * - Scale out: target tracking's high alarm needs 3 consecutive datapoints above the target
 *   (the 60 s period, 3-of-3 alarm Application Auto Scaling creates, see
 *   github.com/hashicorp/terraform-provider-aws/issues/42553); while the alarm stays in ALARM
 *   the policy runs every minute (CloudWatch re-invokes Auto Scaling actions each period).
 *   New capacity = ceil(capacity × metric / target): "adds capacity proportional to the
 *   metric as fast as it can" (docs.aws.amazon.com/AmazonECS/latest/developerguide/
 *   service-autoscaling-targettracking.html). During the scale-out cooldown "the capacity
 *   added by the previous scale-out is counted as part of the desired capacity for the next
 *   scale out" (TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown): the proportion
 *   is applied to the capacity from before that scale-out, and only a larger result adds tasks.
 * - Scale in: the low alarm needs 15 consecutive datapoints below 90 % of the target
 *   ("only removes capacity when utilization reaches a threshold sufficiently below the
 *   target, usually more than 10 % lower", Application Auto Scaling user guide, "How target
 *   tracking works"); at most once per scale-in cooldown; a scale out is never held back
 *   by the scale-in cooldown ("if another alarm triggers a scale out during the scale-in
 *   cooldown, Application Auto Scaling scales out immediately"). How much one scale-in
 *   removes is not documented beyond "more gradual" and "rounds conservatively": `scaleIn`
 *   'gradual' removes at most 10 % of the capacity (at least 1 task) per activity,
 *   'proportional' goes straight to ceil(capacity × metric / target). Both are reported.
 * - Tasks: a new task consumes TASK_START_SECONDS after the desired count rises (Fargate
 *   pull and start, about a minute); it costs from that moment. A stopped task stops
 *   receiving, finishes its in-flight messages (the worker's SIGTERM drain), then leaves.
 * - Worker: `concurrency` slots per task, as container/worker/queue-consumer.ts: it never
 *   receives more than its free slots (≤ 10 a call), so messages it has not started stay
 *   visible and count in the backlog. Concurrent messages are assumed not to slow each other
 *   (I/O-bound work such as the sample's); CPU-bound work shows up as a longer measured
 *   average, which the self-tuning target follows.
 * - Scheduled actions: raising MinCapacity above the current capacity raises the capacity
 *   at once; lowering it leaves the capacity to the policy (Application Auto Scaling
 *   scheduled scaling).
 *
 * The burst path and predictive scaling (issue 17), each only as AWS documents it:
 * - High-resolution metric: the worker emits backlog per task every BURST period through EMF
 *   with StorageResolution 1 ("Setting this to 1 specifies this metric as a high-resolution
 *   metric, so that CloudWatch stores the metric with sub-minute resolution down to one
 *   second", CloudWatch MetricDatum.StorageResolution). A datapoint is seen
 *   `burst.delaySeconds` after its period closes (EMF is extracted from the log stream; AWS
 *   gives no figure, so the delay is a parameter with a sensitivity row).
 * - High-resolution alarm: Period 10 (or 20/30) on that metric ("Valid values are 10, 20, 30,
 *   and any multiple of 60 ... Specifying 10, 20, or 30 also sets this alarm as a high-resolution
 *   alarm, which has a higher charge", CloudWatch PutMetricAlarm.Period), ALARM after
 *   `burst.datapoints` consecutive datapoints above the threshold (EvaluationPeriods =
 *   DatapointsToAlarm).
 * - Step scaling: each evaluation in ALARM invokes the policy ("The adjustments can continue
 *   for additional alarm breaches until the alarm state returns to OK", Application Auto
 *   Scaling user guide, "How step scaling works"); the step is chosen by metric - threshold
 *   (StepAdjustment), PercentChangeInCapacity rounded down, at least MinAdjustmentMagnitude;
 *   during the policy's Cooldown the capacity its last scale-out added counts toward the next
 *   (StepScalingPolicyConfiguration.Cooldown). lib/queue-services/burst-math.ts holds the math.
 * - Several policies on one target: each keeps its own alarms and cooldown; each acts on the
 *   current capacity, and a scale out is never undone by another policy's scale out. So
 *   target tracking, whose one-minute metric lags the step policy's tasks, multiplies the
 *   capacity the step policy already raised by a backlog from before it: the interplay the
 *   benchmark reports. Only target tracking scales in (the step policy only scales out).
 * - The burst path's scale-in (`burst.scaleIn`): target tracking's scale-in is disabled
 *   ("If the value is true, scale in is disabled and the target tracking scaling policy won't
 *   remove capacity from the scalable target", TargetTrackingScalingPolicyConfiguration.
 *   DisableScaleIn) and a second step scaling policy removes tasks. Its alarm is a
 *   standard-resolution one (Period 60) on busy slots, (visible + in flight) / (reporting tasks
 *   × concurrency), from the worker's readings, seen METRIC_DELAY_MINUTES late like the other
 *   one-minute metrics; ALARM after `datapoints` consecutive minutes under busyBelow. The step
 *   is a negative PercentChangeInCapacity, rounded toward zero and at least one task
 *   ("values between 0 and -1 are rounded to -1 ... values less than -1 are rounded up",
 *   Application Auto Scaling user guide, "Step scaling policies", scaling adjustment types),
 *   never below the minimum capacity, at most once per its Cooldown. A scale-out by either
 *   policy is never held back by it. The target updater re-tunes the scale-out alarm's
 *   threshold with the target (`followsTarget`); the busy-slots alarm needs no re-tuning.
 * - Predictive scaling (ForecastAndScale): a forecast needs at least 24 hours of the load
 *   metric ("this metric must have at least 24 hours of data"; "an hourly forecast of capacity
 *   requirements for the next 48 hours", updated every 6 hours, Application Auto Scaling user
 *   guide, "How predictive scaling works"). The model runs the service through the previous
 *   day (its own traffic, another seed) and forecasts each hour from that day's simulated
 *   NumberOfMessagesSent for the same hour (the simplest reading of "identify patterns" with
 *   one day of history; AWS does not publish its algorithm), divided by the policy's TargetValue
 *   (messages per task-minute). Capacity rises to the forecast SchedulingBufferTime before the
 *   hour ("the amount of time, in seconds, that the start time can be advanced", less than
 *   3600) and is held as the hour's minimum: "If the forecast expects a decrease in load,
 *   predictive scaling will not scale in".
 */
import {
  burstStepAdjustments,
  predictiveTarget,
  type ScaleInSettings,
  scaleInCapacity,
  scaleInStepAdjustments,
  type StepAdjustment,
  stepCapacity,
} from '../lib/queue-services/burst-math';
import { backlogPerTask, backlogTarget, decideTarget, type WindowStats } from '../lib/queue-services/target-math';

export const DURATION_SECONDS = 6 * 3600;
export const DAY_SECONDS = 24 * 3600;
export const TASK_START_SECONDS = 60;
export const METRIC_DELAY_MINUTES = 1;
export const EXPECTED_PROCESSING_SECONDS = 2;

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

function poisson(random: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(random)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= random();
  } while (p > limit);
  return k - 1;
}

/** Mean processing time drifts, so the self-tuning target has something to follow. */
export const meanProcessing = (t: number) => (t < 2 * 3600 ? 2 : t < 4 * 3600 ? 4 : 1.5);

/** Lognormal processing time with the given mean (sigma 0.6: a long right tail). */
function processingTime(random: () => number, mean: number): number {
  const sigma = 0.6;
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * gaussian(random));
}

export type Traffic = (t: number) => number;

export const TRAFFIC: Record<string, { describe: string; rate: (seed: number) => Traffic }> = {
  steady: { describe: 'Poisson, 4 messages/s', rate: () => () => 4 },
  bursty: {
    describe: '1 message/s, 4-minute bursts of 25/s at :00 and :30 from 0:30',
    rate: () => (t) => (t % 1800 < 240 && t >= 600 ? 25 : 1),
  },
  unpredictable: {
    describe: 'random walk 0.2-12 messages/s with random 2-8 minute spikes',
    rate: (seed) => {
      const random = rng(seed * 7919);
      const rates: number[] = [];
      let level = 3;
      let spike = 0;
      for (let m = 0; m < DAY_SECONDS / 60; m += 1) {
        level = Math.min(12, Math.max(0.2, level + gaussian(random) * 0.6));
        if (spike > 0) spike -= 1;
        else if (random() < 0.02) spike = 2 + Math.floor(random() * 7);
        rates.push(spike > 0 ? level + 10 + random() * 10 : level);
      }
      return (t) => rates[Math.floor(t / 60)] ?? level;
    },
  },
};

export interface Service {
  acceptableLatency: number;
  concurrency: number;
  minTasks: number;
  maxTasks: number;
  scaleOutCooldown: number;
  scaleInCooldown: number;
  scaleIn: 'gradual' | 'proportional';
  /** Scheduled MinCapacity at second t (undefined: the service's minTasks). */
  scheduledMin?: (t: number) => number | undefined;
  /** The registry's expectedProcessingSeconds: seeds the first target (default EXPECTED_PROCESSING_SECONDS). */
  expectedProcessingSeconds?: number;
  /** Seconds from a raised desired count to a consuming task (default TASK_START_SECONDS). */
  taskStartSeconds?: number;
  /** The step scaling policy on the high-resolution backlog-per-task alarm. */
  burst?: BurstSettings;
  /** Predictive scaling (ForecastAndScale), forecast from the simulated previous day. */
  predictive?: PredictiveSettings;
  /**
   * The previous day's traffic: the service first runs through it (unmeasured), so the
   * measured 6 h start warm. Predictive scaling's only history; also given to the runs it is
   * compared with.
   */
  previousDay?: Traffic;
}

export interface BurstSettings {
  /** Alarm period: 10, 20 or 30 s (high-resolution alarm). */
  periodSeconds: number;
  /** Consecutive datapoints above the threshold before ALARM. */
  datapoints: number;
  /** Seconds after a period closes before its datapoint is seen. */
  delaySeconds: number;
  /** Alarm threshold as a multiple of the deployed (initial) backlog-per-task target. */
  thresholdFactor: number;
  cooldownSeconds: number;
  maxStepPercent: number;
  /** The target updater moves the threshold (and the steps) with the target; else fixed at deploy. */
  followsTarget?: boolean;
  /** Idle tasks given back by a step policy (target tracking's scale-in disabled). */
  scaleIn?: BusyScaleInSettings;
}

/** The burst path's scale-in: a step policy on busy slots; target tracking's own scale-in off. */
export interface BusyScaleInSettings extends ScaleInSettings {
  /** Consecutive one-minute datapoints under busyBelow before the policy removes tasks. */
  datapoints: number;
  cooldownSeconds: number;
}

export interface PredictiveSettings {
  /** SchedulingBufferTime, seconds (< 3600). */
  bufferSeconds: number;
  /** Share of a task's message rate the TargetValue keeps (messages per task-minute). */
  utilization: number;
}

export interface Policy {
  name: string;
  /** The tracked metric from one datapoint. */
  metric(visible: number, running: number): number;
  target(): number;
  /** Hourly, with the last hour's processing totals (the target updater). */
  retune?(stats: WindowStats): void;
}

export function backlogPolicy(service: Service, headroom: number): Policy {
  const factors = { concurrency: service.concurrency, headroom };
  const settings = { acceptableLatencySeconds: service.acceptableLatency, tolerance: 0.1, maxTarget: 1000, ...factors };
  let target = backlogTarget(
    service.acceptableLatency,
    service.expectedProcessingSeconds ?? EXPECTED_PROCESSING_SECONDS,
    settings.maxTarget,
    factors,
  );
  return {
    name: `backlog per task, headroom ${headroom}`,
    metric: backlogPerTask,
    target: () => target,
    retune(stats) {
      const decision = decideTarget(target, stats, settings);
      if (decision.action === 'update') target = decision.proposed;
    },
  };
}

export function depthPolicy(depth: number): Policy {
  return { name: `queue depth only, target ${depth}`, metric: (visible) => visible, target: () => depth };
}

export interface SimResult {
  p50: number;
  p95: number;
  p99: number;
  taskMinutes: number;
  messages: number;
  /** Per minute: [hour, desired tasks, visible, p95 of that minute's completions]. */
  timeline: Array<[number, number, number, number]>;
  /** Scale-outs by the step policy, and by target tracking, in the measured window. */
  stepScaleOuts: number;
  trackingScaleOuts: number;
  /** Scale-ins by the burst path's busy-slots policy, in the measured window. */
  stepScaleIns: number;
  /** Predictive scaling's hourly capacity forecast for the measured window (empty without it). */
  forecast: number[];
}

interface Task {
  readyAt: number;
  slots: number[];
  stopping: boolean;
}

const percentile = (sorted: Float64Array | number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;

export function simulate(traffic: Traffic, policy: Policy, service: Service, seed: number): SimResult {
  const arrivals = rng(seed);
  const work = rng(seed + 1);
  const taskStart = service.taskStartSeconds ?? TASK_START_SECONDS;
  // The service may first live through the previous day (t < 0), which is predictive
  // scaling's history; only t >= 0 is measured.
  if (service.predictive && !service.previousDay) throw new Error('predictive scaling needs previousDay: 24 h of history');
  const previousDay = service.previousDay;
  const history = previousDay ? DAY_SECONDS : 0;
  const rateAt = (t: number) => (t < 0 && previousDay ? previousDay(t + DAY_SECONDS) : traffic(t));
  const processingAt = (t: number) => meanProcessing(t < 0 ? t + DAY_SECONDS : t);
  const queueArrived: number[] = [];
  const queueWork: number[] = [];
  let head = 0;
  const newTask = (readyAt: number): Task => ({ readyAt, slots: new Array<number>(service.concurrency).fill(readyAt), stopping: false });
  const tasks: Task[] = Array.from({ length: service.minTasks }, () => newTask(-history));
  let capacity = service.minTasks;
  const latencies: number[] = [];
  let minuteLatencies: number[] = [];
  let hour: WindowStats = { sumSeconds: 0, count: 0 };
  const datapoints: Array<{ visible: number; running: number }> = [];
  let lastOut = -Infinity;
  let capacityBeforeOut = capacity;
  let lastIn = -Infinity;
  let taskSeconds = 0;
  const timeline: SimResult['timeline'] = [];
  let stepScaleOuts = 0;
  let trackingScaleOuts = 0;
  let stepScaleIns = 0;

  // The step policy's alarm threshold is fixed in the template: the deployed (initial) target.
  const burst = service.burst;
  let burstThreshold = burst ? burst.thresholdFactor * policy.target() : 0;
  let steps: StepAdjustment[] = burst ? burstStepAdjustments(burstThreshold, burst.maxStepPercent) : [];
  const highRes: Array<{ at: number; value: number }> = [];
  let lastStepOut = -Infinity;
  let capacityBeforeStep = capacity;
  const busyIn = burst?.scaleIn;
  const scaleInSteps = busyIn ? scaleInStepAdjustments(busyIn) : [];
  const busyPoints: Array<{ at: number; value: number }> = [];
  let lastBusyIn = -Infinity;

  // Predictive scaling: messages sent per hour of the previous day (the load metric).
  const sentByHour = new Array<number>(24).fill(0);
  let forecast: number[] = [];
  const predictiveTargetValue = service.predictive
    ? predictiveTarget(EXPECTED_PROCESSING_SECONDS, service.concurrency, service.predictive.utilization)
    : 0;
  const forecastMin = (t: number): number | undefined => {
    if (!forecast.length) return undefined;
    const hourAhead = Math.floor((t + service.predictive!.bufferSeconds) / 3600);
    const hourNow = Math.floor(t / 3600);
    // The next hour's capacity from SchedulingBufferTime before it; never below this hour's.
    return Math.max(forecast[hourNow] ?? 0, forecast[hourAhead] ?? 0);
  };

  const setCapacity = (next: number, t: number) => {
    const live = tasks.filter((task) => !task.stopping);
    for (let i = live.length; i < next; i += 1) tasks.push(newTask(t + taskStart));
    // ECS stops the newest tasks first here (those still starting cost nothing more).
    for (let i = live.length - 1; i >= next; i -= 1) live[i]!.stopping = true;
    capacity = next;
  };
  const runningNow = (t: number) => tasks.filter((task) => task.readyAt <= t && !task.stopping).length;

  for (let t = -history; t < DURATION_SECONDS; t += 1) {
    const measured = t >= 0;
    const n = poisson(arrivals, rateAt(t));
    if (t < 0) sentByHour[Math.floor((t + DAY_SECONDS) / 3600)]! += n;
    for (let i = 0; i < n; i += 1) {
      queueArrived.push(t + (i + 0.5) / n);
      queueWork.push(processingTime(work, processingAt(t)));
    }
    // Each ready slot takes the oldest visible message as soon as it is free.
    for (const task of tasks) {
      if (task.readyAt >= t + 1 || task.stopping) continue;
      for (let s = 0; s < task.slots.length; s += 1) {
        let free = Math.max(task.slots[s]!, t);
        while (free < t + 1 && head < queueArrived.length && queueArrived[head]! < t + 1) {
          const start = Math.max(free, queueArrived[head]!);
          free = start + queueWork[head]!;
          const latency = free - queueArrived[head]!;
          if (queueArrived[head]! >= 0) {
            latencies.push(latency);
            minuteLatencies.push(latency);
          }
          hour = { sumSeconds: hour.sumSeconds + queueWork[head]!, count: hour.count + 1 };
          head += 1;
        }
        task.slots[s] = free;
      }
    }
    for (let i = tasks.length - 1; i >= 0; i -= 1) {
      const task = tasks[i]!;
      if (task.stopping && (task.readyAt >= t + 1 || Math.max(...task.slots) <= t + 1)) tasks.splice(i, 1);
    }
    if (measured) taskSeconds += tasks.length;
    if (head > 50_000) {
      queueArrived.splice(0, head);
      queueWork.splice(0, head);
      head = 0;
    }
    // The forecast: made once 24 h of load exist (at t = 0), for the hours ahead.
    if (service.predictive && t + 1 === 0) {
      forecast = sentByHour.map((sent) => Math.min(service.maxTasks, Math.ceil(sent / 60 / predictiveTargetValue)));
    }

    // The burst path: one high-resolution datapoint per period, the alarm, the step policy.
    if (burst && (t + 1) % burst.periodSeconds === 0) {
      const now = t + 1;
      const running = runningNow(now);
      highRes.push({ at: now + burst.delaySeconds, value: backlogPerTask(queueArrived.length - head, running) });
      if (highRes.length > 20) highRes.shift();
      const seen = highRes.filter((point) => point.at <= now);
      const recent = seen.slice(-burst.datapoints);
      const alarm = recent.length === burst.datapoints && recent.every((point) => point.value > burstThreshold);
      if (alarm) {
        const inCooldown = now - lastStepOut < burst.cooldownSeconds;
        const next = stepCapacity({
          capacity,
          ...(inCooldown ? { capacityBeforeCooldown: capacityBeforeStep } : {}),
          metric: recent[recent.length - 1]!.value,
          threshold: burstThreshold,
          steps,
          minAdjustmentMagnitude: 1,
          maxCapacity: service.maxTasks,
        });
        if (next > capacity) {
          if (!inCooldown) capacityBeforeStep = capacity;
          lastStepOut = now;
          if (measured) stepScaleOuts += 1;
          setCapacity(next, now);
        }
      }
    }

    // The burst path's scale-in: one busy-slots datapoint a minute (the worker's 10 s readings
    // averaged over the minute), seen METRIC_DELAY_MINUTES late like every one-minute metric.
    if (busyIn && (t + 1) % 60 === 0) {
      const now = t + 1;
      const running = tasks.filter((task) => task.readyAt <= now && !task.stopping);
      const inFlight = running.reduce((sum, task) => sum + task.slots.filter((free) => free > now).length, 0);
      // No task reporting is no datapoint: missing data does not breach.
      if (running.length > 0) {
        busyPoints.push({
          at: now + METRIC_DELAY_MINUTES * 60,
          value: (queueArrived.length - head + inFlight) / (running.length * service.concurrency),
        });
      }
      if (busyPoints.length > 20) busyPoints.shift();
      const recent = busyPoints.filter((point) => point.at <= now).slice(-busyIn.datapoints);
      const alarm = recent.length === busyIn.datapoints && recent.every((point) => point.value < busyIn.busyBelow);
      if (alarm && now - lastBusyIn >= busyIn.cooldownSeconds) {
        const min = Math.min(service.maxTasks, Math.max(service.scheduledMin?.(now) ?? service.minTasks, forecastMin(now) ?? 0));
        const next = scaleInCapacity({
          capacity,
          metric: recent[recent.length - 1]!.value,
          threshold: busyIn.busyBelow,
          steps: scaleInSteps,
          minCapacity: min,
        });
        if (next < capacity) {
          lastBusyIn = now;
          if (measured) stepScaleIns += 1;
          setCapacity(next, now);
        }
      }
    }

    if ((t + 1) % 60 === 0) {
      const visible = queueArrived.length - head;
      const running = runningNow(t + 1);
      datapoints.push({ visible, running });
      if (datapoints.length > 40) datapoints.shift();
      const seen = datapoints.slice(
        Math.max(0, datapoints.length - METRIC_DELAY_MINUTES - 15),
        Math.max(0, datapoints.length - METRIC_DELAY_MINUTES),
      );
      const target = policy.target();
      const values = seen.map((point) => policy.metric(point.visible, point.running));
      const newest = values[values.length - 1];
      const high = values.length >= 3 && values.slice(-3).every((value) => value > target);
      const low = values.length >= 15 && values.slice(-15).every((value) => value < 0.9 * target);
      const min = Math.min(service.maxTasks, Math.max(service.scheduledMin?.(t + 1) ?? service.minTasks, forecastMin(t + 1) ?? 0));
      if (capacity < min) setCapacity(min, t + 1);
      if (high && newest !== undefined) {
        const inCooldown = t + 1 - lastOut < service.scaleOutCooldown;
        const base = inCooldown ? capacityBeforeOut : capacity;
        const next = Math.min(service.maxTasks, Math.ceil((base * newest) / target));
        if (next > capacity) {
          if (!inCooldown) capacityBeforeOut = capacity;
          lastOut = t + 1;
          if (measured) trackingScaleOuts += 1;
          setCapacity(next, t + 1);
        }
      } else if (!busyIn && low && newest !== undefined && t + 1 - lastIn >= service.scaleInCooldown) {
        let next = Math.max(min, Math.ceil((capacity * newest) / target));
        if (service.scaleIn === 'gradual') next = Math.max(next, capacity - Math.max(1, Math.floor(capacity * 0.1)));
        if (next < capacity) {
          lastIn = t + 1;
          setCapacity(next, t + 1);
        }
      }
      if (measured) {
        minuteLatencies.sort((a, b) => a - b);
        timeline.push([(t + 1) / 3600, capacity, visible, percentile(minuteLatencies, 0.95)]);
      }
      minuteLatencies = [];
    }
    if ((t + 1) % 3600 === 0) {
      policy.retune?.(hour);
      hour = { sumSeconds: 0, count: 0 };
      if (burst?.followsTarget && burst.thresholdFactor * policy.target() !== burstThreshold) {
        burstThreshold = burst.thresholdFactor * policy.target();
        steps = burstStepAdjustments(burstThreshold, burst.maxStepPercent);
      }
    }
  }
  // Messages still waiting at the end count with their age so far: a backlog is not free.
  for (let i = head; i < queueArrived.length; i += 1) if (queueArrived[i]! >= 0) latencies.push(DURATION_SECONDS - queueArrived[i]!);
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    taskMinutes: taskSeconds / 60,
    messages: sorted.length,
    timeline,
    stepScaleOuts,
    trackingScaleOuts,
    stepScaleIns,
    forecast: forecast.slice(0, DURATION_SECONDS / 3600),
  };
}
