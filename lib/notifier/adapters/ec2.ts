/** Private IPs of the container instances behind bridge/host tasks: one DescribeInstances for all. */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceAddresses } from '../ports';

export function createInstanceAddresses(client: EC2Client): InstanceAddresses {
  return {
    async privateIps(instanceIds) {
      const ips = new Map<string, string>();
      if (instanceIds.length === 0) return ips;
      // InstanceIds cannot be combined with MaxResults; EC2 still pages very large answers,
      // so follow NextToken (the same request, not one call per instance).
      let nextToken: string | undefined;
      do {
        const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds], NextToken: nextToken }));
        for (const reservation of out.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.InstanceId && instance.PrivateIpAddress) ips.set(instance.InstanceId, instance.PrivateIpAddress);
          }
        }
        nextToken = out.NextToken;
      } while (nextToken);
      return ips;
    },
  };
}
