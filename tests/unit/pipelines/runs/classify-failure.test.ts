import { classifyFailure } from '../../../../lib/pipelines/runs/classify-failure';

/** A failed .sync task's cause as Step Functions writes it: the ECS task, PascalCase JSON. */
const taskCause = (task: Record<string, unknown>) =>
  JSON.stringify({
    TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-dev/0f5e2a1d9c8b4f6e',
    LastStatus: 'STOPPED',
    DesiredStatus: 'STOPPED',
    Group: 'pipeline:orders-daily:orders-daily-2026-11-20-3f9a1c2b',
    ...task,
  });

describe('classifyFailure', () => {
  it('classifies a non-zero exit of the pipeline container as container-error', () => {
    const cause = taskCause({
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Containers: [{ Name: 'pipeline', ExitCode: 1, LastStatus: 'STOPPED' }],
    });
    expect(classifyFailure({ error: 'States.TaskFailed', cause }, 'pipeline')).toEqual({
      errorClass: 'container-error',
      message: 'container "pipeline" exited with code 1 (EssentialContainerExited: Essential container in task exited)',
      exitCode: 1,
      stopReason: 'EssentialContainerExited: Essential container in task exited',
      hint: expect.stringContaining('log stream'),
    });
  });

  it('classifies exit 137 with OutOfMemoryError as out-of-memory, picking the named container', () => {
    const cause = taskCause({
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Containers: [
        { Name: 'log-router', ExitCode: 0 },
        { Name: 'pipeline', ExitCode: 137, Reason: 'OutOfMemoryError: Container killed due to memory usage' },
      ],
    });
    const result = classifyFailure({ error: 'States.TaskFailed', cause }, 'pipeline');
    expect(result).toMatchObject({ errorClass: 'out-of-memory', exitCode: 137 });
    expect(result.message).toContain('container "pipeline" was killed for running out of memory');
  });

  it('classifies CannotPullContainerError and ResourceInitializationError as image-pull', () => {
    const pull = taskCause({
      StopCode: 'TaskFailedToStart',
      StoppedReason:
        'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/sample-pipeline:v9: not found',
      Containers: [{ Name: 'pipeline', LastStatus: 'STOPPED' }],
    });
    const init = taskCause({
      StopCode: 'TaskFailedToStart',
      StoppedReason:
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s)',
      Containers: [{ Name: 'pipeline', LastStatus: 'STOPPED' }],
    });
    expect(classifyFailure({ error: 'States.TaskFailed', cause: pull }, 'pipeline')).toMatchObject({
      errorClass: 'image-pull',
      exitCode: null,
    });
    expect(classifyFailure({ error: 'States.TaskFailed', cause: init }, 'pipeline')).toMatchObject({ errorClass: 'image-pull' });
  });

  it('classifies a Spot interruption as its own class and RunTask capacity failures as capacity', () => {
    const spot = taskCause({
      StopCode: 'SpotInterruption',
      StoppedReason: 'Your Spot Task was interrupted.',
      Containers: [{ Name: 'pipeline', LastStatus: 'STOPPED' }],
    });
    // Its own class since retries by failure class: a Spot interruption re-runs (on FARGATE), capacity backs off.
    expect(classifyFailure({ error: 'States.TaskFailed', cause: spot }, 'pipeline')).toMatchObject({
      errorClass: 'spot-interruption',
      stopReason: 'SpotInterruption: Your Spot Task was interrupted.',
    });
    const noCapacity =
      'RunTask failures: [{"Arn":null,"Reason":"Capacity is unavailable at this time. Please try again later or in a different availability zone"}]';
    expect(classifyFailure({ error: 'AmazonECS.Unknown', cause: noCapacity })).toMatchObject({
      errorClass: 'capacity',
      message: expect.stringContaining('Capacity is unavailable'),
    });
  });

  it('classifies RunTask failures that are not about capacity (MISSING, ATTRIBUTE) as unknown: retrying them would not help', () => {
    const missing = JSON.stringify({ Failures: [{ Arn: 'arn:aws:ecs:us-east-1:1:task-definition/x', Reason: 'MISSING' }], Tasks: [] });
    expect(classifyFailure({ error: 'AmazonECS.Unknown', cause: missing })).toMatchObject({
      errorClass: 'unknown',
      message: expect.stringContaining('MISSING'),
    });
    const resources = JSON.stringify({ Failures: [{ Arn: 'arn:aws:ecs:us-east-1:1:container-instance/x', Reason: 'RESOURCE:MEMORY' }] });
    expect(classifyFailure({ error: 'AmazonECS.Unknown', cause: resources }).errorClass).toBe('capacity');
  });

  it('classifies state timeouts and missed heartbeats', () => {
    expect(classifyFailure({ error: 'States.Timeout', cause: '' }).errorClass).toBe('timeout');
    expect(classifyFailure({ error: 'States.HeartbeatTimeout' }).errorClass).toBe('heartbeat-timeout');
  });

  it("reads the guard's camelCase cause and says the container stopped before calling back", () => {
    const cause = JSON.stringify({
      taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/ecs-pipelines-dev/c13b4cb40f1f4fe4a2971f76ae5a47ad',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'pipeline', exitCode: 0 }],
    });
    expect(classifyFailure({ error: 'TaskStoppedBeforeCallback', cause }, 'pipeline')).toMatchObject({
      errorClass: 'container-error',
      exitCode: 0,
      message: expect.stringContaining('exited with code 0 before it called back'),
    });
  });

  it("treats a container's own SendTaskFailure as container-error and unknown service errors as unknown", () => {
    expect(classifyFailure({ error: 'RowsRejectedError', cause: '1204 of 5000 rows rejected (threshold 5%)' })).toMatchObject({
      errorClass: 'container-error',
      message: 'the container reported RowsRejectedError: 1204 of 5000 rows rejected (threshold 5%)',
    });
    expect(
      classifyFailure({ error: 'ECS.InvalidParameterException', cause: 'Task definition does not support launch_type FARGATE.' })
        .errorClass,
    ).toBe('unknown');
  });

  it("reads the worker library's JSON cause for its message, so the run's cause is the sentence and not the JSON around it", () => {
    const cause = JSON.stringify({
      errorType: 'RejectThresholdError',
      errorMessage: '7 of 18 rows rejected, more than REJECT_MAX_RATIO=0.1; see s3://b/rejects/orders-daily/2026-11-25/shard-0.jsonl',
      causes: [],
      context: { pipeline: 'orders-daily', shard: { index: 0, count: 1 } },
    });
    expect(classifyFailure({ error: 'RejectThresholdError', cause })).toMatchObject({
      errorClass: 'container-error',
      message:
        'the container reported RejectThresholdError: 7 of 18 rows rejected, more than REJECT_MAX_RATIO=0.1; see s3://b/rejects/orders-daily/2026-11-25/shard-0.jsonl',
    });
  });
});
