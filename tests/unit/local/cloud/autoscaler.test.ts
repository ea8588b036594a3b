/**
 * The local autoscaler's decisions on a scripted backlog: a fake pool records the desired
 * counts; the backlog is scripted tick by tick, so every decision is deterministic.
 */
import { burstStepAdjustments, scaleInStepAdjustments } from '../../../../lib/queue-services/burst-math';
import { LocalAutoscaler, type BacklogSource, type ScalingDecision, type WorkerPool } from '../../../../local/cloud/autoscaling/autoscaler';

function scripted(backlog: number[]): BacklogSource {
  let i = 0;
  return { visibleMessages: async () => backlog[Math.min(i++, backlog.length - 1)]! };
}

/** Visible and in-flight messages scripted tick by tick. */
function scriptedDepth(depths: Array<[visible: number, inFlight: number]>): BacklogSource {
  let i = 0;
  const next = () => depths[Math.min(i++, depths.length - 1)]!;
  return {
    visibleMessages: async () => next()[0],
    depth: async () => {
      const [visible, inFlight] = next();
      return { visible, inFlight };
    },
  };
}

/** A pool whose workers start at once. */
function instantPool(): WorkerPool & { history: number[] } {
  let count = 0;
  const history: number[] = [];
  return {
    history,
    running: () => count,
    setDesired: async (n) => {
      count = n;
      history.push(n);
    },
  };
}

async function run(autoscaler: LocalAutoscaler, ticks: number): Promise<ScalingDecision[]> {
  const out: ScalingDecision[] = [];
  for (let i = 0; i < ticks; i += 1) out.push(await autoscaler.tick());
  return out;
}

const settings = {
  minTasks: 1,
  maxTasks: 10,
  target: () => 20,
  scaleOutEvaluations: 3,
  scaleInEvaluations: 5,
  scaleOutCooldownTicks: 1,
  scaleInCooldownTicks: 3,
};

describe('local autoscaler', () => {
  it('scales out only after three ticks above the target, to ceil(backlog / target)', async () => {
    const pool = instantPool();
    const decisions = await run(new LocalAutoscaler(scripted([100, 100, 100]), pool, settings), 3);

    expect(decisions.map((d) => d.action)).toEqual(['hold', 'hold', 'scale-out']);
    expect(decisions[2]).toMatchObject({ visible: 100, running: 1, metric: 100, desired: 5 });
  });

  it('does not react to a one-tick spike', async () => {
    const pool = instantPool();
    const decisions = await run(new LocalAutoscaler(scripted([500, 0, 0, 500, 0]), pool, settings), 5);

    expect(decisions.every((d) => d.action === 'hold')).toBe(true);
    expect(pool.history.every((n) => n === 1)).toBe(true);
  });

  it('caps at maxTasks however large the backlog', async () => {
    const pool = instantPool();
    const decisions = await run(new LocalAutoscaler(scripted([10_000]), pool, settings), 3);
    expect(decisions[2]!.desired).toBe(10);
  });

  it('scales in after the scale-in evaluations below 90 % of the target, then waits out its cooldown', async () => {
    // Prepare: out to 5 tasks, then the backlog drains to 0.
    const pool = instantPool();
    const backlog = [100, 100, 100, ...Array.from({ length: 12 }, () => 0)];
    const decisions = await run(new LocalAutoscaler(scripted(backlog), pool, settings), backlog.length);

    // Assess: out at tick 3; in at tick 8 (5 low ticks: 4..8) to the minimum; no further action.
    const actions = decisions.map((d) => `${d.tick}:${d.action}:${d.desired}`).filter((a) => !a.includes('hold'));
    expect(actions).toEqual(['3:scale-out:5', '8:scale-in:1']);
  });

  it('holds when the backlog per task sits at the target', async () => {
    const pool = instantPool();
    await pool.setDesired(4);
    const decisions = await run(
      new LocalAutoscaler(scripted(Array.from({ length: 20 }, () => 78)), pool, { ...settings, minTasks: 4 }),
      20,
    );
    // 78 / 4 = 19.5: below 20, above 18 → neither alarm.
    expect(decisions.every((d) => d.action === 'hold' && d.desired === 4)).toBe(true);
  });

  it('follows a changed target (the local updater re-tuned it)', async () => {
    // 120 messages over 3 tasks = 40 per task: under a target of 50, over a target of 10.
    const pool = instantPool();
    await pool.setDesired(3);
    let target = 50;
    const autoscaler = new LocalAutoscaler(scripted(Array.from({ length: 6 }, () => 120)), pool, {
      ...settings,
      minTasks: 3,
      target: () => target,
    });
    const decisions = await run(autoscaler, 3);
    expect(decisions.every((d) => d.action === 'hold')).toBe(true);
    target = 10;
    const after = await run(autoscaler, 3);
    expect(after[2]).toMatchObject({ action: 'scale-out', desired: 10 });
  });

  it('guards the zero-task case like the metric math: the whole backlog counts against one task', async () => {
    const pool: WorkerPool = { running: () => 0, setDesired: async () => undefined };
    const decisions = await run(new LocalAutoscaler(scripted([60, 60, 60]), pool, settings), 3);
    expect(decisions[2]).toMatchObject({ metric: 60, action: 'scale-out', desired: 3 });
  });

  describe('with the burst path (step scaling policy)', () => {
    // Threshold 10 backlog per task; steps as the template generates them (up to +800 %).
    const burst = {
      threshold: 10,
      datapoints: 2,
      steps: burstStepAdjustments(10, 800),
      cooldownTicks: 4,
      minAdjustmentMagnitude: 1,
    };
    const burstSettings = { ...settings, maxTasks: 100, burst };

    it('adds tasks after two ticks above its threshold, before target tracking, in proportion to the excess', async () => {
      const pool = instantPool();
      // 1 task, 45 visible: 4.5 × the threshold, excess 35 falls in the [20, 40) step: +200 %.
      const decisions = await run(new LocalAutoscaler(scripted([45, 45]), pool, burstSettings), 2);

      expect(decisions.map((d) => d.action)).toEqual(['hold', 'burst-out']);
      expect(decisions[1]!.desired).toBe(3);
    });

    it('steps larger for a larger excess, and counts what it added during its cooldown', async () => {
      const pool = instantPool();
      // 1 task and 200 visible: excess 190 is in the open-ended step, +800 %: 9 tasks. Next tick
      // (cooldown) 9 tasks see 900 visible: the same +800 % of the 1 task before: nothing more.
      const decisions = await run(new LocalAutoscaler(scripted([200, 200, 900]), pool, { ...burstSettings, target: () => 1000 }), 3);

      expect(decisions.map((d) => [d.action, d.desired])).toEqual([
        ['hold', 1],
        ['burst-out', 9],
        ['hold', 9],
      ]);
    });

    it('keeps target tracking acting on its own alarm: it multiplies the capacity the step policy raised', async () => {
      const pool = instantPool();
      // Target 20: the third tick above it scales out to ceil(900 / 20) over the 9 burst tasks.
      const decisions = await run(new LocalAutoscaler(scripted([200, 200, 900]), pool, burstSettings), 3);

      expect(decisions.map((d) => [d.action, d.desired])).toEqual([
        ['hold', 1],
        ['burst-out', 9],
        ['scale-out', 45],
      ]);
    });

    it('leaves a backlog under its threshold to target tracking', async () => {
      const pool = instantPool();
      const decisions = await run(new LocalAutoscaler(scripted([9, 9, 9, 9]), pool, { ...burstSettings, target: () => 5 }), 4);

      expect(decisions.map((d) => d.action)).toEqual(['hold', 'hold', 'scale-out', 'hold']);
    });
  });

  describe("with the burst path's scale-in on busy slots (step scaling policy, target tracking's scale-in disabled)", () => {
    // The registry defaults: under 0.6 busy for 5 ticks (minutes), back to 0.8, at most 50 % per 5 ticks.
    const scaleIn = {
      threshold: 0.6,
      datapoints: 5,
      steps: scaleInStepAdjustments({ busyBelow: 0.6, busyTarget: 0.8, maxPercent: 50 }),
      cooldownTicks: 5,
      concurrency: 2,
    };
    const scaleInSettings = { ...settings, maxTasks: 20, scaleInEvaluations: 3, scaleIn, disableScaleIn: true };

    it('removes half the tasks after five idle ticks, again after its cooldown, down to the minimum; target tracking never scales in', async () => {
      const pool = instantPool();
      await pool.setDesired(8);
      const autoscaler = new LocalAutoscaler(scriptedDepth([[0, 0]]), pool, { ...scaleInSettings, minTasks: 1 }, 8);
      const decisions = await run(autoscaler, 21);

      // busy 0: the open-ended step, -50 %: 8 → 4 at tick 5, → 2 at 10, → 1 at 15, then the minimum holds.
      const actions = decisions.filter((d) => d.action !== 'hold').map((d) => `${d.tick}:${d.action}:${d.desired}`);
      expect(actions).toEqual(['5:burst-in:4', '10:burst-in:2', '15:burst-in:1']);
      expect(decisions[0]).toMatchObject({ busy: 0, inFlight: 0 });
    });

    it('counts in-flight messages as busy: slots working hold their tasks even with nothing visible', async () => {
      const pool = instantPool();
      await pool.setDesired(4);
      // 4 tasks × 2 slots, 6 messages in flight: 0.75 busy, above 0.6.
      const autoscaler = new LocalAutoscaler(scriptedDepth([[0, 6]]), pool, { ...scaleInSettings, minTasks: 1 }, 4);
      const decisions = await run(autoscaler, 12);

      expect(decisions.every((d) => d.action === 'hold' && d.desired === 4)).toBe(true);
      expect(decisions[0]!.busy).toBeCloseTo(0.75);
    });

    it('removes what brings the slots back toward 0.8 in its band, not half, when some are busy', async () => {
      const pool = instantPool();
      await pool.setDesired(10);
      // 10 tasks × 2 slots, 8 visible + 1 in flight: 0.45 busy, in the [-0.15, 0) band: -25 %.
      const autoscaler = new LocalAutoscaler(scriptedDepth([[8, 1]]), pool, { ...scaleInSettings, minTasks: 1, target: () => 100 }, 10);
      const decisions = await run(autoscaler, 5);

      expect(decisions.map((d) => d.action)).toEqual(['hold', 'hold', 'hold', 'hold', 'burst-in']);
      expect(decisions[4]!.desired).toBe(8);
    });

    it('starts its count again on a tick with no task running (no datapoint is not breaching)', async () => {
      let running = 3;
      const history: number[] = [];
      const pool: WorkerPool = {
        running: () => running,
        setDesired: async (n) => void history.push(n),
      };
      const autoscaler = new LocalAutoscaler(scriptedDepth([[0, 0]]), pool, { ...scaleInSettings, minTasks: 1 }, 3);
      const first = await run(autoscaler, 4);
      running = 0;
      const gap = await run(autoscaler, 1);
      running = 3;
      const after = await run(autoscaler, 5);

      expect([...first, ...gap].every((d) => d.action === 'hold')).toBe(true);
      expect(gap[0]!.busy).toBeUndefined();
      expect(after.map((d) => d.action)).toEqual(['hold', 'hold', 'hold', 'hold', 'burst-in']);
    });

    it('keeps target tracking from scaling in with DisableScaleIn alone', async () => {
      const pool = instantPool();
      const { scaleIn: _, ...trackingOnly } = scaleInSettings;
      const backlog = [100, 100, 100, ...Array.from({ length: 12 }, () => 0)];
      const decisions = await run(new LocalAutoscaler(scripted(backlog), pool, trackingOnly), backlog.length);

      // Out at tick 3 as before; the 3-tick scale-in of target tracking never comes.
      expect(decisions.filter((d) => d.action !== 'hold').map((d) => `${d.tick}:${d.action}:${d.desired}`)).toEqual(['3:scale-out:5']);
      expect(decisions.at(-1)!.desired).toBe(5);
    });

    it('does not scale in on a tick a scale-out policy acted', async () => {
      const pool = instantPool();
      // 1 task, busy is low by the in-flight count but the backlog per task is over the burst threshold.
      const burst = { threshold: 10, datapoints: 1, steps: burstStepAdjustments(10, 800), cooldownTicks: 4, minAdjustmentMagnitude: 1 };
      const autoscaler = new LocalAutoscaler(scriptedDepth([[45, 0]]), pool, {
        ...scaleInSettings,
        scaleIn: {
          ...scaleIn,
          threshold: 100,
          datapoints: 1,
          steps: scaleInStepAdjustments({ busyBelow: 0.6, busyTarget: 0.8, maxPercent: 50 }),
        },
        burst,
        target: () => 1000,
      });
      const [decision] = await run(autoscaler, 1);
      expect(decision!.action).toBe('burst-out');
    });
  });
});
