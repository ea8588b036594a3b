/**
 * Where pipeline tasks run: the cluster's capacity providers (Fargate and Fargate Spot always),
 * and, when pipelines.yml declares `capacity.ec2`, the stack's EC2 capacity for pipelines with
 * task.capacity ec2: an Auto Scaling group of ECS-optimized instances (the latest AMI, read
 * from its public SSM parameter at every deploy), an ECS capacity provider with managed
 * scaling on task reservations, managed termination protection and draining, and the
 * scheduled minimum and maximum sizes the registry declares (a morning ramp before a known peak).
 *
 * EC2 tasks use bridge networking (stack/pipeline-tasks.ts): they reach the AWS APIs through
 * their instance, which gets a public IP where the stack's own public subnets need one, and
 * the tasks' security group (HTTPS out only). Instances require IMDSv2 with one hop, so a
 * container cannot borrow the instance's role: it has its task role.
 */
import { ec2CapacityProviderName } from '../lib/contracts/stack-names';
import { toUnixCron, type Ec2Capacity } from '../lib/registry/container';
import { StackGenerationError, type Cfn, type Template } from './template';

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });
const pascal = (text: string): string => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export const CLUSTER_PROVIDERS_ID = 'PipelineClusterCapacityProviders';
export const EC2_IDS = {
  instanceRole: 'Ec2CapacityInstanceRole',
  instanceProfile: 'Ec2CapacityInstanceProfile',
  launchTemplate: 'Ec2CapacityLaunchTemplate',
  group: 'Ec2CapacityGroup',
  provider: 'Ec2CapacityProvider',
} as const;

/** The public SSM parameters of the latest ECS-optimized Amazon Linux 2023 AMIs. */
export const ECS_OPTIMIZED_AMI = {
  ARM64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
  X86_64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
} as const;

export interface CapacitySettings {
  subnetIds: string;
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

export interface CapacityInputs {
  service: string;
  stage: string;
  ec2: Ec2Capacity | undefined;
  settings: CapacitySettings;
}

function ec2Resources({ service, stage, ec2, settings }: CapacityInputs & { ec2: Ec2Capacity }): Record<string, Cfn> {
  const subnets = { 'Fn::If': ['CreateNetwork', [ref('PublicSubnetA'), ref('PublicSubnetB')], { 'Fn::Split': [',', settings.subnetIds] }] };
  const resources: Record<string, Cfn> = {
    [EC2_IDS.instanceRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `ECS container instances of ${service}-${stage} (the ECS agent; tasks have their own roles)`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        // The policy AWS maintains for the ECS agent (register, poll, telemetry).
        ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' }],
      },
    },
    [EC2_IDS.instanceProfile]: {
      Type: 'AWS::IAM::InstanceProfile',
      Properties: { Roles: [ref(EC2_IDS.instanceRole)] },
    },
    [EC2_IDS.launchTemplate]: {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: {
          // Resolved at every deploy: a deploy picks up the newest recommended AMI.
          ImageId: `{{resolve:ssm:${ECS_OPTIMIZED_AMI[ec2.architecture]}}}`,
          InstanceType: ec2.instanceType,
          IamInstanceProfile: { Arn: getAtt(EC2_IDS.instanceProfile, 'Arn') },
          NetworkInterfaces: [
            {
              DeviceIndex: 0,
              // The stack's own subnets are public and have no NAT: instances need a public IP.
              AssociatePublicIpAddress: { 'Fn::If': ['CreateNetwork', true, settings.assignPublicIp === 'ENABLED'] },
              Groups: [ref('TaskSecurityGroup')],
            },
          ],
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: ec2.rootVolumeGiB, VolumeType: 'gp3', Encrypted: true } }],
          UserData: { 'Fn::Base64': { 'Fn::Sub': '#!/bin/bash\necho "ECS_CLUSTER=${PipelineCluster}" >> /etc/ecs/ecs.config\n' } },
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `${service}-${stage}-pipelines` }] }],
        },
      },
    },
    [EC2_IDS.group]: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        MinSize: String(ec2.minInstances),
        MaxSize: String(ec2.maxInstances),
        // No DesiredCapacity: the capacity provider's managed scaling owns it.
        LaunchTemplate: { LaunchTemplateId: ref(EC2_IDS.launchTemplate), Version: getAtt(EC2_IDS.launchTemplate, 'LatestVersionNumber') },
        VPCZoneIdentifier: subnets,
        // Managed termination protection: ECS lifts it from instances without tasks.
        NewInstancesProtectedFromScaleIn: true,
        Tags: [
          { Key: 'service', Value: service, PropagateAtLaunch: true },
          { Key: 'stage', Value: stage, PropagateAtLaunch: true },
        ],
      },
    },
    [EC2_IDS.provider]: {
      Type: 'AWS::ECS::CapacityProvider',
      Properties: {
        Name: ec2CapacityProviderName(service, stage),
        AutoScalingGroupProvider: {
          AutoScalingGroupArn: ref(EC2_IDS.group),
          ManagedScaling: {
            Status: 'ENABLED',
            TargetCapacity: ec2.targetCapacityPercent,
            MinimumScalingStepSize: 1,
            MaximumScalingStepSize: 10,
          },
          ManagedTerminationProtection: 'ENABLED',
          ManagedDraining: 'ENABLED',
        },
      },
    },
  };
  for (const action of ec2.scheduledActions) {
    resources[`Ec2Capacity${pascal(action.name)}Schedule`] = {
      Type: 'AWS::AutoScaling::ScheduledAction',
      Properties: {
        AutoScalingGroupName: ref(EC2_IDS.group),
        Recurrence: toUnixCron(action.schedule),
        ...(action.timezone ? { TimeZone: action.timezone } : {}),
        ...(action.minInstances !== undefined ? { MinSize: action.minInstances } : {}),
        ...(action.maxInstances !== undefined ? { MaxSize: action.maxInstances } : {}),
      },
    };
  }
  return resources;
}

/** The cluster's capacity providers, and the EC2 capacity when the registry declares it. */
export function capacityResources(template: Template, inputs: CapacityInputs): Record<string, Cfn> {
  const cluster = template.Resources.PipelineCluster;
  if (!cluster)
    throw new StackGenerationError('stack/capacity.ts needs resource PipelineCluster (resources/ecs.yml), and the template has none');
  if (cluster.Properties?.CapacityProviders !== undefined || cluster.Properties?.DefaultCapacityProviderStrategy !== undefined) {
    throw new StackGenerationError(
      'PipelineCluster names capacity providers itself, and stack/capacity.ts associates them (an ECS cluster takes one or the other): remove CapacityProviders and DefaultCapacityProviderStrategy from resources/ecs.yml',
    );
  }
  const resources = inputs.ec2 ? ec2Resources({ ...inputs, ec2: inputs.ec2 }) : {};
  resources[CLUSTER_PROVIDERS_ID] = {
    Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
    Properties: {
      Cluster: ref('PipelineCluster'),
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT', ...(inputs.ec2 ? [ref(EC2_IDS.provider)] : [])],
      // RunTask always names its provider (task.capacity); this covers anything started by hand.
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    },
  };
  return resources;
}
