import { billedSeconds, estimateRunCost, runTransitions, taskCost } from '../../../../lib/pipelines/runs/run-cost';
import { regionPrices } from '../../../../lib/shared/pricing/prices';
import { countTransitions } from '../../../helpers/count-transitions';

const us = regionPrices('us-east-1');

describe('run cost', () => {
  it('bills Fargate per second with a one-minute minimum, by architecture and capacity', () => {
    expect(billedSeconds(12.2)).toBe(60);
    expect(billedSeconds(600.2)).toBe(601);
    // 0.5 vCPU, 1 GB for 600 s: ARM (0.5 × 0.03238 + 0.00356) / 6 = 0.00329167; x86 (0.5 × 0.04048 + 0.004445) / 6 = 0.00411417
    expect(taskCost({ cpu: 512, memory: 1024, seconds: 600, capacity: 'FARGATE', architecture: 'ARM64' }, us)).toBeCloseTo(0.00329167, 8);
    expect(taskCost({ cpu: 512, memory: 1024, seconds: 600, capacity: 'FARGATE', architecture: 'X86_64' }, us)).toBeCloseTo(0.00411417, 8);
    // Spot: (0.5 × 0.012144 + 0.0013335) / 6 = 0.00123425
    expect(taskCost({ cpu: 512, memory: 1024, seconds: 600, capacity: 'FARGATE_SPOT', architecture: 'X86_64' }, us)).toBeCloseTo(
      0.00123425,
      8,
    );
  });

  it('adds the tasks and the transitions', () => {
    const cost = estimateRunCost(
      {
        tasks: [
          { cpu: 256, memory: 512, seconds: 30, capacity: 'FARGATE', architecture: 'X86_64' },
          { cpu: 256, memory: 512, seconds: 120, capacity: 'FARGATE', architecture: 'X86_64' },
        ],
        transitions: 11,
      },
      us,
    );
    // (60 + 120) s × (0.25 × 0.04048 + 0.5 × 0.004445) / 3600 = 180 × 0.0123425 / 3600 = 0.000617125; 11 × 0.000025 = 0.000275
    expect(cost).toEqual({
      usd: expect.closeTo(0.000892125, 9),
      tasksUsd: expect.closeTo(0.000617125, 9),
      transitionsUsd: expect.closeTo(0.000275, 9),
      transitions: 11,
      taskSeconds: 180,
    });
  });

  it('counts the task time of every try, a retried try with its own one-minute minimum, and says how much of it was retried', () => {
    const cost = estimateRunCost(
      {
        tasks: [
          { cpu: 256, memory: 512, seconds: 20, capacity: 'FARGATE_SPOT', architecture: 'X86_64', retried: true },
          { cpu: 256, memory: 512, seconds: 90, capacity: 'FARGATE', architecture: 'X86_64', retried: true },
          { cpu: 256, memory: 512, seconds: 120, capacity: 'FARGATE', architecture: 'X86_64' },
        ],
        transitions: 20,
      },
      us,
    );
    // Spot 60 s × (0.25 × 0.012144 + 0.5 × 0.0013335) / 3600 = 0.0000617; on-demand (90 + 120) s × 0.0123425 / 3600 = 0.00071998
    expect(cost).toEqual({
      usd: expect.closeTo(0.0000617 + 0.00071998 + 0.0005, 7),
      tasksUsd: expect.closeTo(0.0000617 + 0.00071998, 7),
      transitionsUsd: expect.closeTo(0.0005, 9),
      transitions: 20,
      taskSeconds: 270,
      retriedTaskSeconds: 150,
    });
  });

  it.each([
    ['sync', 1, undefined],
    ['sync', 3, 1],
    ['callback', 2, undefined],
    ['callback', 2, 0],
  ] as const)('counts the transitions the state machine takes (%s, %i shards, failing shard %s)', async (launch, shards, failShard) => {
    const executed = await countTransitions(shards, launch, failShard);
    const failed = failShard === undefined ? 0 : 1;
    expect(runTransitions({ shards, failedShards: failed, notified: failed > 0 })).toBe(executed);
  });
});
