/**
 * What opsBackfill may list in S3: the watched prefixes of every bucket the pipelines read.
 */
import type { Registry } from '../lib/registry/schema';
import { fileTriggerOf } from '../lib/registry/pipeline-index';
import type { Cfn } from './template';

/** The uploads bucket's name: the stack's own, or the existing one named by a param. */
export const STACK_BUCKET: Cfn = {
  'Fn::If': [
    'CreateUploadsBucket',
    { 'Fn::Sub': '${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}' },
    '${param:existingBucketName}',
  ],
};

/**
 * Backfill (opsBackfill) lists the watched prefixes of every bucket pipelines read: one
 * s3:ListBucket statement, conditioned on those prefixes. It reads no object.
 */
export function uploadsListStatement(registry: Registry): Cfn | undefined {
  const byBucket = new Map<string, { bucket: unknown; prefixes: Set<string> }>();
  for (const pipeline of Object.values(registry.pipelines)) {
    const trigger = fileTriggerOf(pipeline);
    if (!trigger) continue;
    const bucket = trigger.bucket ?? STACK_BUCKET;
    const id = JSON.stringify(bucket);
    const entry = byBucket.get(id) ?? { bucket, prefixes: new Set<string>() };
    const prefixes =
      trigger.prefix !== undefined ? [trigger.prefix] : Object.values(trigger.files).map((pattern) => pattern.split(/[{*]/)[0]!);
    for (const prefix of prefixes) entry.prefixes.add(prefix);
    byBucket.set(id, entry);
  }
  if (byBucket.size === 0) return undefined;
  return {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [...byBucket.values()].map(({ bucket }) => ({ 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: bucket }] })),
    Condition: {
      StringLike: { 's3:prefix': [...new Set([...byBucket.values()].flatMap(({ prefixes }) => [...prefixes].map((p) => `${p}*`)))] },
    },
  };
}

/** A key template as an IAM resource or prefix pattern: every capture becomes `*`. */
const templateGlob = (template: string): string => template.replace(/\{[A-Za-z][A-Za-z0-9_]*\}/g, '*');

/**
 * What the fan-in (and the DLQ redrive that replays it) may read for batches of unknown size:
 * s3:GetObject on exactly the manifest keys (trigger.complete.manifest, captures as `*`) and
 * s3:ListBucket on the marker folders (trigger.complete.marker). Undefined when no pipeline
 * has such a rule.
 */
export function completionReadStatements(registry: Registry): { read?: Cfn; list?: Cfn } {
  const reads: Cfn[] = [];
  const lists = new Map<string, { bucket: unknown; prefixes: Set<string> }>();
  for (const pipeline of Object.values(registry.pipelines)) {
    const complete = pipeline.trigger?.complete;
    if (!complete) continue;
    const bucket = pipeline.trigger?.bucket ?? STACK_BUCKET;
    if (complete.manifest !== undefined) {
      reads.push({ 'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${templateGlob(complete.manifest)}`, { Bucket: bucket }] });
    }
    if (complete.marker !== undefined) {
      const id = JSON.stringify(bucket);
      const entry = lists.get(id) ?? { bucket, prefixes: new Set<string>() };
      entry.prefixes.add(`${templateGlob(complete.marker.slice(0, complete.marker.lastIndexOf('/') + 1))}*`);
      lists.set(id, entry);
    }
  }
  return {
    ...(reads.length ? { read: { Effect: 'Allow', Action: ['s3:GetObject'], Resource: reads } } : {}),
    ...(lists.size
      ? {
          list: {
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: [...lists.values()].map(({ bucket }) => ({
              'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: bucket }],
            })),
            Condition: { StringLike: { 's3:prefix': [...new Set([...lists.values()].flatMap(({ prefixes }) => [...prefixes]))] } },
          },
        }
      : {}),
  };
}
