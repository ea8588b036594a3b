import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEASURED } from '../../../../bench/cost/measured';

// Table cells are padded to line up (the formatter aligns Markdown tables): compare with single spaces.
const results = readFileSync(join(__dirname, '../../../../bench/RESULTS.md'), 'utf8').replace(/ {2,}/g, ' ');

describe('the measured figures the cost model prices', () => {
  it('are the ones bench/RESULTS.md records for the event path', () => {
    expect(results).toContain('| DynamoDB writes per delivered file | 1.00');
    expect(results).toContain('| DynamoDB writes per batch start | 2.00');
    expect(results).toContain('watcher 2.8 s, fan-in 26.5 s');
    expect(results).toContain('`PutRecords` once per 10-message invocation: 1,199');
    expect(results).toContain('(one `UpdateItem` each: 11,985');
    expect(MEASURED.eventPath.dynamoWritesPerFile).toBe(1);
    expect(MEASURED.eventPath.dynamoWritesPerBatchStart).toBe(2);
    expect(MEASURED.eventPath.watcherMsPerInvocation).toBeCloseTo((2.8 * 1000 * 8) / 1199, 9);
    expect(MEASURED.eventPath.fanInMsPerRecord).toBeCloseTo(26500 / 11985, 9);
  });

  it('are the ones bench/RESULTS.md records for transitions and the Lambda steps', () => {
    expect(results).toContain('| sync | 1 | 10 | 13 |');
    expect(results).toContain('| sync | 11 | 40 | 43 |');
    expect(MEASURED.transitions.perRun + MEASURED.transitions.perShard).toBe(10);
    expect(MEASURED.transitions.perRun + 11 * MEASURED.transitions.perShard).toBe(40);
    expect(results).toMatch(/\| prepareShardTasks \| - \| [\d ]+KiB → \d+ KiB \| - \| n\/a \| 49 ms \|/);
    expect(results).toMatch(/\| summarizeRun \| - \| [\d ]+KiB → \d+ KiB \| - \| n\/a \| 59 ms \|/);
    expect(results).toMatch(/\| sweepIncompleteBatches \| dynamodb, sns \| [\d ]+KiB → \d+ KiB \| \d+ KiB \| [\d.x →*]+ \| 153 ms \|/);
    expect([
      MEASURED.lambdaSteps.prepareShardTasksMs,
      MEASURED.lambdaSteps.summarizeRunMs,
      MEASURED.lambdaSteps.scheduledInvocationMs,
    ]).toEqual([49, 59, 153]);
  });
});
