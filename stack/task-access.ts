/**
 * What the pipelines' containers may read and write in S3, per task definition, from the
 * pipelines that run it (resources/ecs.yml's task role), so the role tracks pipelines.yml.
 */
import { taskDefinitionOf, type Registry } from '../lib/registry/schema';
import type { Cfn } from './template';

/** The uploads bucket's name: the stack's own, or the existing one named by a param. */
export const STACK_BUCKET: Cfn = {
  'Fn::If': ['CreateUploadsBucket', { 'Fn::Sub': '${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}' }, '${param:existingBucketName}'],
};

const objects = (bucket: unknown, prefix: string): Cfn => ({ 'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${prefix}*`, { Bucket: bucket }] });

/** Per task definition: the S3 object ARNs under the prefixes of the pipelines that run it. */
export function taskReadResources(registry: Registry): Record<string, Cfn[]> {
  const byTask: Record<string, Cfn[]> = {};
  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    if (!pipeline.trigger) continue;
    const prefixes = pipeline.trigger.prefix !== undefined ? [pipeline.trigger.prefix] : Object.values(pipeline.trigger.files).map((pattern) => pattern.split('{')[0]!);
    const list = (byTask[taskDefinitionOf(name, pipeline)] ??= []);
    for (const prefix of new Set(prefixes)) list.push(objects(pipeline.trigger.bucket ?? STACK_BUCKET, prefix));
  }
  return byTask;
}

/** Per task definition: where its containers write rejects and warehouse staging files. */
export function taskWriteResources(registry: Registry): Record<string, Cfn[]> {
  const byTask: Record<string, Cfn[]> = {};
  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    const list = (byTask[taskDefinitionOf(name, pipeline)] ??= []);
    for (const area of ['rejects', 'staging']) list.push(objects(pipeline.trigger?.bucket ?? STACK_BUCKET, `${area}/${name}/`));
  }
  return byTask;
}
