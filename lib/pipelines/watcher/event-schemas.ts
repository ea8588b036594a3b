/**
 * zod schemas for everything that can invoke the watcher, holding only the fields it reads.
 * Written here rather than taken from Powertools' parser: its S3 record and EventBridge
 * detail schemas accept only IPv4 source addresses and demand fields S3 may omit (a valid
 * upload over a dual-stack endpoint would be "malformed"), and its schema modules import
 * zod in a way that keeps every zod locale in the bundle (about 260 KiB of a cold start).
 */
import * as z from 'zod';

/** The fields of one S3 notification record the watcher uses; other fields pass unchecked. */
export const S3NotificationRecordSchema = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string().min(1),
  eventTime: z.string().min(1),
  responseElements: z.object({ 'x-amz-request-id': z.string().optional() }).optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export type S3NotificationRecord = z.infer<typeof S3NotificationRecordSchema>;

/** `{ Records: [...] }`: records are checked one by one so one bad record names itself. */
export const RecordsEnvelopeSchema = z.object({ Records: z.array(z.unknown()) });

/** What S3 sends once when a notification configuration is saved. */
export const S3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

export const S3EventBridgeEventSchema = z.object({
  id: z.string(),
  'detail-type': z.string(),
  time: z.iso.datetime(),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
    reason: z.string().optional(),
  }),
});
export type S3EventBridgeEvent = z.infer<typeof S3EventBridgeEventSchema>;

export const SqsMessageSchema = z.object({ messageId: z.string(), body: z.string(), eventSource: z.literal('aws:sqs') });

/** An SNS notification as SQS delivers it (raw message delivery off). */
export const SnsEnvelopeSchema = z.object({ Type: z.literal('Notification'), MessageId: z.string(), TopicArn: z.string(), Message: z.string() });

export const SnsLambdaRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  Sns: SnsEnvelopeSchema,
});

/** `Records[0].s3.object.key: Invalid input ...`, at most three issues. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 && !prefix ? String(part) : `.${String(part)}`))
      .join('');
    return `${prefix}${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
