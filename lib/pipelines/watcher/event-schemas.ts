/**
 * Schemas for everything that can invoke the watcher, holding only the fields it reads.
 * Written here rather than taken from Powertools' parser: its S3 record and EventBridge
 * detail schemas accept only IPv4 source addresses and demand fields S3 may omit (a valid
 * upload over a dual-stack endpoint would be "malformed"), and they need zod at run time.
 */
import * as v from '../../shared/validation';

/** The fields of one S3 notification record the watcher uses; other fields pass unchecked. */
export const S3NotificationRecordSchema = v.object({
  eventSource: v.literal('aws:s3'),
  eventName: v.string().min(1),
  eventTime: v.string().min(1),
  responseElements: v.object({ 'x-amz-request-id': v.string().optional() }).optional(),
  s3: v.object({
    bucket: v.object({ name: v.string().min(1) }),
    object: v.object({
      key: v.string().min(1),
      size: v.number().int().nonnegative().optional(),
      eTag: v.string().optional(),
      versionId: v.string().optional(),
      sequencer: v.string().optional(),
    }),
  }),
});
export type S3NotificationRecord = v.Infer<typeof S3NotificationRecordSchema>;

/** `{ Records: [...] }`: records are checked one by one so one bad record names itself. */
export const RecordsEnvelopeSchema = v.object({ Records: v.array(v.unknown()) });

/** What S3 sends once when a notification configuration is saved. */
export const S3TestEventSchema = v.object({ Event: v.literal('s3:TestEvent') });

export const S3EventBridgeEventSchema = v.object({
  id: v.string(),
  'detail-type': v.string(),
  time: v.iso.datetime(),
  source: v.literal('aws.s3'),
  detail: v.object({
    bucket: v.object({ name: v.string().min(1) }),
    object: v.object({
      key: v.string().min(1),
      size: v.number().int().nonnegative().optional(),
      etag: v.string().optional(),
      'version-id': v.string().optional(),
      sequencer: v.string().optional(),
    }),
    reason: v.string().optional(),
  }),
});
export type S3EventBridgeEvent = v.Infer<typeof S3EventBridgeEventSchema>;

export const SqsMessageSchema = v.object({ messageId: v.string(), body: v.string(), eventSource: v.literal('aws:sqs') });

/** An SNS notification as SQS delivers it (raw message delivery off). */
export const SnsEnvelopeSchema = v.object({
  Type: v.literal('Notification'),
  MessageId: v.string(),
  TopicArn: v.string(),
  Message: v.string(),
});

export const SnsLambdaRecordSchema = v.object({
  EventSource: v.literal('aws:sns'),
  Sns: SnsEnvelopeSchema,
});

/** `Records[0].s3.object.key: Invalid input ...`, at most three issues. */
export function describeIssues(error: v.ValidationError, prefix = ''): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 && !prefix ? String(part) : `.${String(part)}`))
      .join('');
    return `${prefix}${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
