/** The definition itself: valid ASL, and the rules every Task state must follow. */
// asl-validator ships no types: the one call used here, typed.
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: () => string };
import { ALLOWED_RUN_TASK_PARAMETERS, allStates, loadDefinition, loadRawDefinition } from '../../helpers/asl';

const states = allStates(loadDefinition() as unknown as { States: Record<string, unknown> });
const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
const ecsTasks = tasks.filter(([, s]) => String(s.Resource).startsWith('arn:aws:states:::ecs:runTask'));

describe('pipeline.asl.yml', () => {
  it('passes asl-validator (as serverless-step-functions validates it)', () => {
    const { isValid, errorsText } = aslValidator(loadRawDefinition());
    expect({ isValid, errors: errorsText() }).toEqual({ isValid: true, errors: '' });
  });

  it('gives every Task state a timeout, a Retry and a Catch', () => {
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const [name, state] of tasks) {
      expect({ name, timeout: 'TimeoutSeconds' in state || 'TimeoutSecondsPath' in state }).toEqual({ name, timeout: true });
      expect({ name, retry: Array.isArray(state.Retry) && state.Retry.length > 0 }).toEqual({ name, retry: true });
      expect({ name, catch: Array.isArray(state.Catch) && state.Catch.length > 0 }).toEqual({ name, catch: true });
    }
  });

  it('runs ECS tasks both ways, on Fargate and on EC2, with only parameters the ECS integration accepts', () => {
    expect(ecsTasks.map(([name, s]) => `${name}: ${String(s.Resource)}`).sort()).toEqual([
      'Run ECS Task And Wait For Callback: arn:aws:states:::ecs:runTask.waitForTaskToken',
      'Run ECS Task And Wait For Exit: arn:aws:states:::ecs:runTask.sync',
      'Run ECS Task On EC2 And Wait For Callback: arn:aws:states:::ecs:runTask.waitForTaskToken',
      'Run ECS Task On EC2 And Wait For Exit: arn:aws:states:::ecs:runTask.sync',
    ]);
    for (const [name, state] of ecsTasks) {
      const keys = Object.keys(state.Parameters as object).map((k) => k.replace(/\.\$$/, ''));
      expect({ name, extra: keys.filter((k) => !ALLOWED_RUN_TASK_PARAMETERS.includes(k)) }).toEqual({ name, extra: [] });
      expect(state.Parameters).toMatchObject({ PropagateTags: 'TASK_DEFINITION' });
    }
  });

  it('retries ECS API errors with jitter, leaves capacity (AmazonECS.Unknown) to the per-pipeline loop and catches task failures', () => {
    for (const [, state] of ecsTasks) {
      const retried = state.Retry as { ErrorEquals: string[]; JitterStrategy?: string; MaxAttempts?: number }[];
      expect(retried.flatMap((r) => r.ErrorEquals)).toEqual(expect.arrayContaining(['ECS.AmazonECSException', 'ECS.ThrottlingException']));
      // RunTask `failures` (no capacity) are retried by Decide Shard Retry with the pipeline's task.retry.capacity.
      expect(retried.flatMap((r) => r.ErrorEquals)).not.toContain('AmazonECS.Unknown');
      expect((state.Catch as { Next: string }[]).map((c) => c.Next)).toContain('Decide Shard Retry');
      expect(retried.every((r) => r.JitterStrategy === 'FULL' && (r.MaxAttempts ?? 0) > 0)).toBe(true);
      const caught = (state.Catch as { ErrorEquals: string[] }[]).flatMap((c) => c.ErrorEquals);
      expect(caught).toEqual(expect.arrayContaining(['States.TaskFailed', 'States.HeartbeatTimeout', 'States.Timeout', 'States.ALL']));
      expect(caught.at(-1)).toBe('States.ALL');
    }
  });

  it("places EC2 tasks as the pipeline says, on their instance's network; Fargate tasks get their own network and no placement", () => {
    for (const name of ['Run ECS Task On EC2 And Wait For Exit', 'Run ECS Task On EC2 And Wait For Callback']) {
      const parameters = states[name]!.Parameters as Record<string, unknown>;
      expect({
        name,
        placement: [parameters['PlacementConstraints.$'], parameters['PlacementStrategy.$']],
        network: 'NetworkConfiguration.$' in parameters,
      }).toEqual({
        name,
        placement: ['$.placementConstraints', '$.placementStrategy'],
        network: false,
      });
    }
    for (const name of ['Run ECS Task And Wait For Exit', 'Run ECS Task And Wait For Callback']) {
      const keys = Object.keys(states[name]!.Parameters as object);
      expect({ name, keys }).toEqual({ name, keys: expect.arrayContaining(['NetworkConfiguration.$']) });
      expect({ name, placement: keys.filter((k) => k.startsWith('Placement')) }).toEqual({ name, placement: [] });
    }
    const choices = (states['Choose Launch Pattern']!.Choices as Array<{ Next: string }>).map((c) => c.Next);
    expect(choices).toEqual([
      // Activity launches start no task (stack/activities.ts adds each pipeline's activity state).
      'Choose Pipeline Activity',
      'Run ECS Task On EC2 And Wait For Callback',
      'Run ECS Task On EC2 And Wait For Exit',
      'Run ECS Task And Wait For Callback',
    ]);
  });

  it('takes timeout and heartbeat from the shard launch; the callback states pass the task token', () => {
    for (const name of ['Run ECS Task And Wait For Callback', 'Run ECS Task On EC2 And Wait For Callback']) {
      const callback = states[name]!;
      expect(callback).toMatchObject({ TimeoutSecondsPath: '$.timeoutSeconds', HeartbeatSecondsPath: '$.heartbeatSeconds' });
      expect(JSON.stringify(callback.Parameters)).toContain('$$.Task.Token');
    }
    expect(states['Run ECS Task And Wait For Exit']).toMatchObject({ TimeoutSecondsPath: '$.timeoutSeconds' });
    expect(states['Run ECS Task And Wait For Exit']!.HeartbeatSecondsPath).toBeUndefined();
    expect(states['Run Shards']).toMatchObject({ MaxConcurrencyPath: '$.task.maxConcurrency', ItemsPath: '$.prepared.shardRuns' });
  });
});
