/**
 * ECS reads for discovery, batched to the API's limits: ListServices / ListTasks pages of
 * 100, DescribeServices 10 per call, DescribeTasks and DescribeContainerInstances 100 per call.
 */
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { chunk } from '../chunks';
import { EcsLookupError } from '../errors';
import type { EcsReader, TaskDefinitionSummary } from '../ports';

export const DESCRIBE_SERVICES_MAX = 10;
export const DESCRIBE_TASKS_MAX = 100;
export const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
const PAGE_SIZE = 100;

export function createEcsReader(client: ECSClient): EcsReader {
  return {
    async listServiceArns(cluster) {
      // No launchType filter: one listing covers EC2, Fargate, External and services on
      // capacity provider strategies (which a launchType filter would miss).
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListServicesCommand({ cluster, maxResults: PAGE_SIZE, nextToken }));
        arns.push(...(page.serviceArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return arns;
    },

    async describeServices(cluster, names) {
      const services: Service[] = [];
      const missing: string[] = [];
      for (const batch of chunk(names, DESCRIBE_SERVICES_MAX)) {
        const out = await client.send(new DescribeServicesCommand({ cluster, services: batch }));
        services.push(...(out.services ?? []));
        for (const failure of out.failures ?? []) missing.push(`${failure.arn ?? '?'} (${failure.reason ?? 'unknown'})`);
      }
      return { services, missing };
    },

    async describeTaskDefinition(taskDefinition) {
      const out = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      const definition = out.taskDefinition;
      if (!definition?.taskDefinitionArn) throw new EcsLookupError(`DescribeTaskDefinition returned nothing for ${taskDefinition}`);
      const summary: TaskDefinitionSummary = {
        taskDefinitionArn: definition.taskDefinitionArn,
        // ECS's default network mode on EC2 is bridge; Fargate task definitions always say awsvpc.
        networkMode: definition.networkMode ?? 'bridge',
        containers: definition.containerDefinitions ?? [],
      };
      return summary;
    },

    async listRunningTaskArns(cluster, serviceName) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING', maxResults: PAGE_SIZE, nextToken }),
        );
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return arns;
    },

    async describeTasks(cluster, taskArns) {
      const tasks: Task[] = [];
      for (const batch of chunk(taskArns, DESCRIBE_TASKS_MAX)) {
        // A task that stopped and aged out between ListTasks and DescribeTasks comes back
        // as a MISSING failure: nothing to notify, so it is left out.
        const out = await client.send(new DescribeTasksCommand({ cluster, tasks: batch }));
        tasks.push(...(out.tasks ?? []));
      }
      return tasks;
    },

    async ec2InstanceIds(cluster, containerInstanceArns) {
      const ids = new Map<string, string>();
      for (const batch of chunk(containerInstanceArns, DESCRIBE_CONTAINER_INSTANCES_MAX)) {
        const out = await client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch }));
        for (const instance of out.containerInstances ?? []) {
          if (instance.containerInstanceArn && instance.ec2InstanceId) ids.set(instance.containerInstanceArn, instance.ec2InstanceId);
        }
      }
      return ids;
    },
  };
}
