/**
 * The capacity pipelines run on: Fargate and Fargate Spot on the cluster always; the stack's
 * EC2 capacity (ECS-optimized AMI from SSM, managed scaling and termination protection,
 * scheduled sizes) only when the registry declares it.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { capacityResources, ECS_OPTIMIZED_AMI } from '../../../stack/capacity';
import { StackGenerationError, type Template } from '../../../stack/template';

const settings = { subnetIds: 'subnet-1,subnet-2', assignPublicIp: 'DISABLED' as const };
const template = (cluster: Record<string, unknown> = {}): Template => ({
  Resources: { PipelineCluster: { Type: 'AWS::ECS::Cluster', Properties: cluster } },
});
const ec2 = parseRegistry(
  JSON.stringify({
    pipelines: {
      p: {
        schedule: { expression: 'rate(1 hour)' },
        task: {
          container: 'app',
          image: 'example.com/a:1',
          architecture: 'ARM64',
          capacity: 'ec2',
          cpu: 256,
          memory: 512,
          launch: 'sync',
          timeoutSeconds: 600,
        },
      },
    },
    capacity: {
      ec2: {
        instanceType: 'r7g.large',
        architecture: 'ARM64',
        minInstances: 0,
        maxInstances: 6,
        targetCapacityPercent: 90,
        scheduledActions: [
          { name: 'morning-ramp', schedule: 'cron(40 5 ? * 2-6 *)', timezone: 'Europe/Berlin', minInstances: 2 },
          { name: 'evening-release', schedule: 'cron(0 19 * * ? *)', minInstances: 0 },
        ],
      },
    },
  }),
).capacity!.ec2!;

const resources = (input?: typeof ec2) =>
  capacityResources(template(), { service: 'ecs-pipelines', stage: 'dev', ec2: input, settings }) as Record<
    string,
    { Type: string; Properties: any }
  >;

describe('capacityResources', () => {
  it('associates Fargate and Fargate Spot with the cluster, and nothing else without EC2 capacity', () => {
    const plain = resources(undefined);
    expect(Object.keys(plain)).toEqual(['PipelineClusterCapacityProviders']);
    expect(plain.PipelineClusterCapacityProviders!.Properties).toEqual({
      Cluster: { Ref: 'PipelineCluster' },
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    });
  });

  it('runs EC2 capacity on the latest ECS-optimized AMI of its architecture, IMDSv2 only', () => {
    const data = resources(ec2).Ec2CapacityLaunchTemplate!.Properties.LaunchTemplateData;
    expect(data.ImageId).toBe(`{{resolve:ssm:${ECS_OPTIMIZED_AMI.ARM64}}}`);
    expect(data.InstanceType).toBe('r7g.large');
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.NetworkInterfaces[0].AssociatePublicIpAddress).toEqual({ 'Fn::If': ['CreateNetwork', true, false] });
  });

  it('scales the group through a capacity provider with managed scaling and termination protection', () => {
    const all = resources(ec2);
    expect(all.Ec2CapacityGroup!.Properties).toMatchObject({ MinSize: '0', MaxSize: '6', NewInstancesProtectedFromScaleIn: true });
    expect(all.Ec2CapacityGroup!.Properties.DesiredCapacity).toBeUndefined();
    expect(all.Ec2CapacityProvider!.Properties).toEqual({
      Name: 'ec2-ecs-pipelines-dev',
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: { Ref: 'Ec2CapacityGroup' },
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 90, MinimumScalingStepSize: 1, MaximumScalingStepSize: 10 },
        ManagedTerminationProtection: 'ENABLED',
        ManagedDraining: 'ENABLED',
      },
    });
    expect(all.PipelineClusterCapacityProviders!.Properties.CapacityProviders).toEqual([
      'FARGATE',
      'FARGATE_SPOT',
      { Ref: 'Ec2CapacityProvider' },
    ]);
  });

  it("turns the registry's scheduled actions into Auto Scaling schedules in Unix cron", () => {
    const all = resources(ec2);
    expect(all.Ec2CapacityMorningRampSchedule!.Properties).toEqual({
      AutoScalingGroupName: { Ref: 'Ec2CapacityGroup' },
      Recurrence: '40 5 * * 1-5',
      TimeZone: 'Europe/Berlin',
      MinSize: 2,
    });
    expect(all.Ec2CapacityEveningReleaseSchedule!.Properties).toEqual({
      AutoScalingGroupName: { Ref: 'Ec2CapacityGroup' },
      Recurrence: '0 19 * * *',
      MinSize: 0,
    });
  });

  it('refuses a cluster that names its capacity providers itself', () => {
    expect(() =>
      capacityResources(template({ CapacityProviders: ['FARGATE'] }), { service: 's', stage: 'd', ec2: undefined, settings }),
    ).toThrow(StackGenerationError);
    expect(() =>
      capacityResources(template({ CapacityProviders: ['FARGATE'] }), { service: 's', stage: 'd', ec2: undefined, settings }),
    ).toThrow('remove CapacityProviders and DefaultCapacityProviderStrategy from resources/ecs.yml');
  });
});
