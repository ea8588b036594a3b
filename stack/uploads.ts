/**
 * How upload events reach the watcher (resources/uploads.yml), from the prefixes pipelines.yml
 * watches: S3 notifications from the stack's own bucket, one per prefix; an EventBridge
 * pattern for an existing bucket (param existingBucketName) and for buckets pipelines name.
 */
import type { PipelineIndex } from '../lib/registry/registry';
import type { Cfn } from './template';

const WATCHER_FUNCTION_ID = 'S3UploadWatcherLambdaFunction';

export interface UploadRouting {
  /** 'true' when a pipeline names a bucket of its own (resources/conditions.yml). */
  hasExternalBuckets: string;
  /** The stack bucket's Lambda notifications, one per watched prefix. */
  uploadNotifications: Cfn[];
  /** The EventBridge rule's pattern for the buckets the stack does not own. */
  uploadEventPattern: Cfn;
}

export function uploadRouting(index: PipelineIndex, existingBucket: string): UploadRouting {
  const prefixes = index.prefixes();
  const ownPrefixes = prefixes.filter((p) => p.bucket === undefined).map((p) => p.prefix);
  const externalBuckets = [...new Set(prefixes.flatMap((p) => (p.bucket === undefined ? [] : [p.bucket])))];
  const eventBuckets = [...new Set([existingBucket, ...externalBuckets].filter(Boolean))];
  const eventPrefixes = existingBucket ? prefixes.map((p) => p.prefix) : prefixes.filter((p) => p.bucket).map((p) => p.prefix);
  return {
    hasExternalBuckets: String(externalBuckets.length > 0),
    uploadNotifications: ownPrefixes.map((prefix) => ({
      Event: 's3:ObjectCreated:*',
      ...(prefix ? { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: prefix }] } } } : {}),
      Function: { 'Fn::GetAtt': [WATCHER_FUNCTION_ID, 'Arn'] },
    })),
    uploadEventPattern: {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: eventBuckets.length ? eventBuckets : ['-'] },
        object: { key: eventPrefixes.map((prefix) => ({ prefix })) },
      },
    },
  };
}
