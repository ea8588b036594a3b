/** ECS task operations of the run steps (adapter over ECSClient for stop-abandoned-task.ts and decide-shard-retry.ts). */
import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { EcsTasks } from './stop-abandoned-task';

export function ecsTasks(client: ECSClient): EcsTasks {
  const list = async (cluster: string, family: string, desiredStatus: 'RUNNING' | 'STOPPED') => {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListTasksCommand({ cluster, family, desiredStatus, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  };
  return {
    listRunning: (cluster, family) => list(cluster, family, 'RUNNING'),
    listStopped: (cluster, family) => list(cluster, family, 'STOPPED'),
    async describe(cluster, taskArns) {
      if (!taskArns.length) return [];
      const { tasks = [] } = await client.send(new DescribeTasksCommand({ cluster, tasks: taskArns }));
      return tasks.map((task) => ({
        taskArn: task.taskArn ?? '',
        group: task.group,
        stopCode: task.stopCode,
        stoppedReason: task.stoppedReason,
        createdAt: task.createdAt?.getTime(),
        containers: (task.containers ?? []).map((c) => ({ name: c.name ?? '', exitCode: c.exitCode, reason: c.reason })),
        environment: (task.overrides?.containerOverrides ?? []).flatMap((o) =>
          (o.environment ?? []).map((e) => ({ name: e.name ?? '', value: e.value ?? '' })),
        ),
      }));
    },
    async stop(cluster, taskArn, reason) {
      // ECS caps the reason at 255 characters.
      await client.send(new StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, 255) }));
    },
  };
}
