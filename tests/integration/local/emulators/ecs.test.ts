/**
 * The local ECS through the real @aws-sdk/client-ecs: RunTask spawns the container command as
 * a child process with the overrides applied and reports exit codes and stop reasons like ECS.
 */
import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalEcs, type LocalEcsServer, type TaskStateChangeEvent } from '../../../../local/emulators/ecs';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../../events/ecs/ecs-task-state-change.json'), 'utf8')) as TaskStateChangeEvent;

let server: LocalEcsServer;
let client: ECSClient;
const events: TaskStateChangeEvent[] = [];

beforeAll(async () => {
  server = await startLocalEcs({
    stopTimeoutMs: 500,
    awsEnvironment: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' },
    taskDefinitions: [
      { family: 'sample', containers: { app: { command: ['node', '-e', 'process.exit(0)'], environment: { FROM_DEFINITION: 'yes' } } } },
    ],
  });
  server.ecs.on('taskStateChange', (e) => events.push(e));
  client = new ECSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

const run = async (command: string[], environment: { name: string; value: string }[] = []): Promise<Task> => {
  const out = await client.send(
    new RunTaskCommand({
      cluster: 'local',
      taskDefinition: 'sample',
      overrides: { containerOverrides: [{ name: 'app', command, environment }] },
    }),
  );
  expect(out.failures).toEqual([]);
  return out.tasks![0]!;
};

const stopped = async (taskArn: string): Promise<Task> => {
  await server.ecs.waitForStopped(taskArn);
  const out = await client.send(new DescribeTasksCommand({ cluster: 'local', tasks: [taskArn] }));
  return out.tasks![0]!;
};

describe('local ECS', () => {
  it('runs the overridden command with the task definition, local cloud and override environment, and reports exit 0', async () => {
    // Prepare / Act
    const started = await run(
      ['node', '-e', 'console.log([process.env.FROM_DEFINITION, process.env.AWS_ENDPOINT_URL_S3, process.env.FROM_OVERRIDE].join(" "))'],
      [{ name: 'FROM_OVERRIDE', value: 'ok' }],
    );
    const task = await stopped(started.taskArn!);

    // Assess
    expect(started.lastStatus).toBe('PROVISIONING');
    expect(task).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      group: 'family:sample',
    });
    expect(task.containers![0]).toMatchObject({ name: 'app', exitCode: 0, lastStatus: 'STOPPED' });
    expect(task.stoppedAt).toBeInstanceOf(Date);
    expect(server.ecs.getTask(task.taskArn!)!.logs.map((l) => l.line)).toEqual(['yes http://127.0.0.1:4569 ok']);
    const statuses = events.filter((e) => e.resources[0] === task.taskArn).map((e) => e.detail.lastStatus);
    expect(statuses).toEqual(['PROVISIONING', 'RUNNING', 'STOPPED']);
  });

  it('reports a non-zero exit code with stop code EssentialContainerExited', async () => {
    const task = await stopped((await run(['node', '-e', 'console.error("boom"); process.exit(3)'])).taskArn!);

    expect(task.stopCode).toBe('EssentialContainerExited');
    expect(task.stoppedReason).toBe('Essential container in task exited');
    expect(task.containers![0]!.exitCode).toBe(3);
    expect(server.ecs.getTask(task.taskArn!)!.logs).toEqual([expect.objectContaining({ stream: 'stderr', line: 'boom' })]);
  });

  it('fails to start a command that does not exist, naming the command', async () => {
    const task = await stopped((await run(['no-such-binary-xyz', '--flag'])).taskArn!);

    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toContain('"no-such-binary-xyz"');
    expect(task.stoppedReason).toContain('CannotStartContainerError');
    expect(task.containers![0]!.exitCode).toBeUndefined();
  });

  it('StopTask sends SIGTERM, which the container can handle, and reports UserInitiated', async () => {
    // The container prints when it is ready, then exits 0 on SIGTERM.
    const started = await run([
      'node',
      '-e',
      'process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000);',
    ]);
    await new Promise<void>((resolve) => {
      const onLog = (l: { taskArn: string; line: string }) => {
        if (l.taskArn === started.taskArn && l.line === 'ready') {
          server.ecs.off('log', onLog);
          resolve();
        }
      };
      server.ecs.on('log', onLog);
    });
    const listed = await client.send(new ListTasksCommand({ cluster: 'local', family: 'sample' }));
    expect(listed.taskArns).toContain(started.taskArn);

    await client.send(new StopTaskCommand({ cluster: 'local', task: started.taskArn, reason: 'test says stop' }));
    const task = await stopped(started.taskArn!);

    expect(task).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'test says stop' });
    expect(task.containers![0]!.exitCode).toBe(0);
    expect(server.ecs.getTask(task.taskArn!)!.logs.map((l) => l.line)).toEqual(['ready', 'got SIGTERM']);
    const afterStop = await client.send(new ListTasksCommand({ cluster: 'local', family: 'sample' }));
    expect(afterStop.taskArns).not.toContain(started.taskArn);
  });

  it('SIGKILLs a container that ignores SIGTERM after the grace period (exit 137)', async () => {
    const started = await run(['node', '-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000);']);
    await new Promise<void>((resolve) => server.ecs.on('log', (l) => l.taskArn === started.taskArn && resolve()));
    server.ecs.stopTask(started.taskArn!);
    const task = await stopped(started.taskArn!);
    expect(task.containers![0]!.exitCode).toBe(137);
  });

  it('answers RunTask with failures for an unknown task definition and for injected capacity shortages', async () => {
    const unknown = await client.send(new RunTaskCommand({ taskDefinition: 'nope' }));
    expect(unknown.tasks).toEqual([]);
    expect(unknown.failures).toEqual([expect.objectContaining({ arn: 'nope', reason: 'MISSING' })]);

    server.ecs.injectCapacityFailures(1);
    const noCapacity = await client.send(new RunTaskCommand({ taskDefinition: 'sample' }));
    expect(noCapacity.failures![0]!.reason).toMatch(/Capacity is unavailable/);
    expect(noCapacity.tasks).toEqual([]);
  });

  it('plays an injected image-pull failure: the task fails to start with CannotPullContainerError', async () => {
    // Prepare
    server.ecs.injectFault({ kind: 'image-pull', family: 'sample' });

    // Act
    const failed = await stopped((await run(['node', '-e', 'process.exit(0)'])).taskArn!);
    const next = await stopped((await run(['node', '-e', 'process.exit(0)'])).taskArn!);

    // Assess: the fault is used up by the one task.
    expect(failed).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError: /) });
    expect(failed.containers![0]!.reason).toMatch(/^CannotPullContainerError: /);
    expect(next.containers![0]!.exitCode).toBe(0);
  });

  it('interrupts the next task on FARGATE_SPOT as Fargate Spot does, and leaves FARGATE tasks alone', async () => {
    // Prepare
    server.ecs.injectFault({ kind: 'spot-interruption', afterMs: 50 });
    const sleep = ['node', '-e', 'setTimeout(() => {}, 1500)'];
    const runOn = async (capacityProvider: string) =>
      (
        await client.send(
          new RunTaskCommand({
            cluster: 'local',
            taskDefinition: 'sample',
            capacityProviderStrategy: [{ capacityProvider, weight: 1 }],
            overrides: { containerOverrides: [{ name: 'app', command: sleep }] },
          }),
        )
      ).tasks![0]!;

    // Act: an on-demand task first (never interrupted), then a Spot one.
    const onDemand = await runOn('FARGATE');
    const spot = await runOn('FARGATE_SPOT');

    // Assess
    const interrupted = await stopped(spot.taskArn!);
    expect(interrupted).toMatchObject({
      capacityProviderName: 'FARGATE_SPOT',
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
    });
    expect(interrupted.containers![0]!.exitCode).toBe(143);
    const finished = await stopped(onDemand.taskArn!);
    expect(finished).toMatchObject({ capacityProviderName: 'FARGATE', stopCode: 'EssentialContainerExited' });
    expect(finished.containers![0]!.exitCode).toBe(0);
    expect(events.some((e) => e.resources[0] === spot.taskArn && e.detail.stopCode === 'SpotInterruption')).toBe(true);
  });

  it('emits ECS Task State Change events with the same envelope and detail keys AWS sends', () => {
    const stoppedEvent = events.find((e) => e.detail.lastStatus === 'STOPPED')!;
    expect(Object.keys(stoppedEvent).sort()).toEqual(Object.keys(fixture).sort());
    expect(stoppedEvent).toMatchObject({ 'detail-type': fixture['detail-type'], source: fixture.source, version: '0' });
    for (const key of [
      'clusterArn',
      'containers',
      'createdAt',
      'desiredStatus',
      'group',
      'lastStatus',
      'overrides',
      'taskArn',
      'taskDefinitionArn',
      'version',
      'launchType',
      'startedAt',
    ]) {
      expect(stoppedEvent.detail).toHaveProperty(key);
    }
    expect(stoppedEvent.detail.overrides).toEqual({ containerOverrides: [expect.objectContaining({ name: 'app' })] });
    expect(typeof stoppedEvent.detail.createdAt).toBe('string');
  });

  it('rejects a malformed request with the field at fault', async () => {
    await expect(client.send(new DescribeTasksCommand({ tasks: [] }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('tasks'),
    });
  });
});
