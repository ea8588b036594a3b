/**
 * Reads whatever invoked the watcher into messages of notices: an uploaded object, an
 * event to ignore (with the reason), or a malformed part (with what is wrong). Knows
 * every delivery path: S3 → Lambda, S3 → EventBridge → Lambda, and S3 notifications or
 * EventBridge events wrapped in SQS bodies, in SNS, or in SNS inside SQS.
 */
import type { FileArrival } from '../../contracts/messages';
import { KeyDecodingError } from './errors';
import {
  describeIssues,
  RecordsEnvelopeSchema,
  S3EventBridgeEventSchema,
  S3NotificationRecordSchema,
  S3TestEventSchema,
  SnsEnvelopeSchema,
  SnsLambdaRecordSchema,
  SqsMessageSchema,
} from './event-schemas';
import { decodeNotificationKey } from './key-decoding';

export type DeliverySource = FileArrival['source'];

export type IgnoreReason =
  | 'test-event'
  | 'deletion'
  | 'restore'
  | 'lifecycle'
  | 'replication'
  | 'intelligent-tiering'
  | 'other-event'
  /** A created object no pipeline claims, named by the part that did not match (PipelineIndex.explainMiss). */
  | 'other-bucket'
  | 'outside-prefix'
  | 'no-pattern-match';

/** The reasons an object-created event can have when no pipeline claims its object. */
export type UnclaimedReason = 'other-bucket' | 'outside-prefix' | 'no-pattern-match';

/** An object S3 reports as created, key already decoded. */
export interface UploadedObject {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  versionId?: string;
  sequencer?: string;
  eventTime: string;
  source: DeliverySource;
}

export type Notice =
  | { kind: 'object'; object: UploadedObject }
  | { kind: 'ignored'; reason: IgnoreReason; what: string }
  | { kind: 'malformed'; problem: string };

/** One unit the source retries on its own: an SQS record, or one record or event of an async invocation. */
export interface SourceMessage {
  messageId: string;
  notices: Notice[];
}

export interface WatcherEvent {
  /** `sqs`: failures are reported per message; `async`: the invocation fails as a whole. */
  delivery: 'sqs' | 'async';
  messages: SourceMessage[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const malformed = (problem: string): Notice => ({ kind: 'malformed', problem });

/** `body` + `Records[0]` → `body.Records[0]`; the empty prefix is the event itself. */
const at = (where: string, path: string): string => (where ? `${where}.${path}` : path);

/** S3 notification event names, with or without the `s3:` prefix some producers add. */
export function classifyNotification(eventName: string): 'created' | Exclude<IgnoreReason, UnclaimedReason> {
  const family = eventName.replace(/^s3:/, '').split(':')[0];
  switch (family) {
    case 'ObjectCreated':
      return 'created';
    case 'ObjectRemoved':
      return 'deletion';
    case 'ObjectRestore':
      return 'restore';
    case 'LifecycleExpiration':
    case 'LifecycleTransition':
      return 'lifecycle';
    case 'Replication':
      return 'replication';
    case 'IntelligentTiering':
      return 'intelligent-tiering';
    case 'TestEvent':
      return 'test-event';
    default:
      // Tagging, ACL and reduced-redundancy events: nothing new to process.
      return 'other-event';
  }
}

/** EventBridge detail types of S3 (see the S3 user guide, "EventBridge event message structure"). */
export function classifyDetailType(detailType: string, reason?: string): 'created' | Exclude<IgnoreReason, UnclaimedReason> {
  switch (detailType) {
    case 'Object Created':
      return 'created';
    case 'Object Deleted':
      return reason === 'Lifecycle Expiration' ? 'lifecycle' : 'deletion';
    case 'Object Restore Initiated':
    case 'Object Restore Completed':
    case 'Object Restore Expired':
      return 'restore';
    case 'Object Storage Class Changed':
      return 'lifecycle';
    case 'Object Access Tier Changed':
      return 'intelligent-tiering';
    default:
      return 'other-event';
  }
}

const stripQuotes = (etag: string): string => etag.replace(/^"(.*)"$/, '$1');

/** One record of an S3 notification; `where` names it in messages (`Records[0]`, `body.Records[1]`). */
function readS3Record(raw: unknown, where: string, source: DeliverySource): Notice {
  const parsed = S3NotificationRecordSchema.safeParse(raw);
  if (!parsed.success) return malformed(`not an S3 notification record: ${describeIssues(parsed.error, where)}`);
  const record = parsed.data;
  const kind = classifyNotification(record.eventName);
  const { object, bucket } = record.s3;
  if (kind !== 'created') return { kind: 'ignored', reason: kind, what: `${record.eventName} s3://${bucket.name}/${object.key}` };
  if (object.size === undefined) return malformed(`${where}.s3.object.size is missing on ${record.eventName}`);
  if (object.eTag === undefined) return malformed(`${where}.s3.object.eTag is missing on ${record.eventName}`);
  let key: string;
  try {
    key = decodeNotificationKey(object.key);
  } catch (error) {
    if (error instanceof KeyDecodingError) return malformed(`${where}.s3.object.key: ${error.message}`);
    throw error;
  }
  return {
    kind: 'object',
    object: {
      bucket: bucket.name,
      key,
      size: object.size,
      etag: stripQuotes(object.eTag),
      ...(object.versionId ? { versionId: object.versionId } : {}),
      ...(object.sequencer ? { sequencer: object.sequencer } : {}),
      eventTime: record.eventTime,
      source,
    },
  };
}

/** An EventBridge event from S3. Its key is the stored key: no URL decoding. */
function readEventBridge(raw: unknown, where: string): Notice {
  const parsed = S3EventBridgeEventSchema.safeParse(raw);
  if (!parsed.success) return malformed(`not an S3 EventBridge event: ${describeIssues(parsed.error, where)}`);
  const event = parsed.data;
  const { object, bucket, reason } = event.detail;
  const kind = classifyDetailType(event['detail-type'], reason);
  if (kind !== 'created') return { kind: 'ignored', reason: kind, what: `${event['detail-type']} s3://${bucket.name}/${object.key}` };
  if (object.size === undefined) return malformed(`${at(where, 'detail.object.size')} is missing on Object Created`);
  if (object.etag === undefined) return malformed(`${at(where, 'detail.object.etag')} is missing on Object Created`);
  return {
    kind: 'object',
    object: {
      bucket: bucket.name,
      key: object.key,
      size: object.size,
      etag: stripQuotes(object.etag),
      ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
      ...(object.sequencer ? { sequencer: object.sequencer } : {}),
      eventTime: event.time,
      source: 'eventbridge',
    },
  };
}

const looksLikeEventBridge = (value: Record<string, unknown>): boolean => 'detail-type' in value && 'source' in value;
const looksLikeSns = (value: Record<string, unknown>): boolean => value.Type === 'Notification' && 'TopicArn' in value;

/** An S3 notification `{ Records }` or the S3 test event, already parsed from JSON. */
function readS3Notification(value: Record<string, unknown>, where: string, source: DeliverySource): Notice[] {
  if (S3TestEventSchema.safeParse(value).success) return [{ kind: 'ignored', reason: 'test-event', what: 's3:TestEvent' }];
  const envelope = RecordsEnvelopeSchema.safeParse(value);
  if (!envelope.success) return [malformed(`${where || 'event'} has no Records array`)];
  if (envelope.data.Records.length === 0) return [malformed(`${at(where, 'Records')} is empty`)];
  return envelope.data.Records.map((record, index) => readS3Record(record, at(where, `Records[${index}]`), source));
}

function parseJson(text: string, what: string): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `${what} is not JSON (${(error as Error).message}): ${JSON.stringify(text.slice(0, 80))}` };
  }
  return isObject(value) ? { value } : { problem: `${what} is JSON but not an object` };
}

/** An SNS Message: an S3 notification, an S3 test event, or (rarely) an EventBridge event. */
function readSnsMessage(message: string): Notice[] {
  const json = parseJson(message, 'SNS Message');
  if ('problem' in json) return [malformed(json.problem)];
  if (looksLikeEventBridge(json.value)) return [readEventBridge(json.value, 'SNS Message')];
  return readS3Notification(json.value, 'SNS Message', 'sns');
}

/** An SQS body: an S3 notification, an EventBridge event, or an SNS envelope around either. */
function readSqsBody(body: string): Notice[] {
  const json = parseJson(body, 'body');
  if ('problem' in json) return [malformed(json.problem)];
  const value = json.value;
  if (looksLikeSns(value)) {
    const envelope = SnsEnvelopeSchema.safeParse(value);
    if (!envelope.success) return [malformed(`body is not an SNS notification: ${describeIssues(envelope.error, 'body')}`)];
    return readSnsMessage(envelope.data.Message);
  }
  if (looksLikeEventBridge(value)) return [readEventBridge(value, 'body')];
  if ('Records' in value || 'Event' in value) return readS3Notification(value, 'body', 'sqs');
  return [malformed('body is neither an S3 notification, an EventBridge S3 event nor an SNS notification')];
}

const requestIdOf = (record: unknown): string | undefined => {
  if (!isObject(record) || !isObject(record.responseElements)) return undefined;
  const id = record.responseElements['x-amz-request-id'];
  return typeof id === 'string' ? id : undefined;
};

const stringField = (record: unknown, field: string): string | undefined =>
  isObject(record) && typeof record[field] === 'string' ? (record[field] as string) : undefined;

/** Entry point: any invocation event, untyped. Never throws for bad input; bad parts become `malformed` notices. */
export function readWatcherEvent(event: unknown): WatcherEvent {
  if (!isObject(event))
    return { delivery: 'async', messages: [{ messageId: 'event', notices: [malformed('event is not a JSON object')] }] };

  if (Array.isArray(event.Records)) {
    const records = event.Records as unknown[];
    const fromSqs = records.some((record) => stringField(record, 'eventSource') === 'aws:sqs');
    if (fromSqs) {
      return {
        delivery: 'sqs',
        messages: records.map((record, index) => {
          const parsed = SqsMessageSchema.safeParse(record);
          // Without a messageId Lambda cannot retry the record alone; the id stays readable for the log.
          const messageId = stringField(record, 'messageId') ?? `Records[${index}]`;
          if (!parsed.success)
            return { messageId, notices: [malformed(`not an SQS record: ${describeIssues(parsed.error, `Records[${index}]`)}`)] };
          return { messageId: parsed.data.messageId, notices: readSqsBody(parsed.data.body) };
        }),
      };
    }
    return {
      delivery: 'async',
      messages: records.map((record, index) => {
        const requestId = requestIdOf(record);
        if (stringField(record, 'EventSource') === 'aws:sns') {
          const parsed = SnsLambdaRecordSchema.safeParse(record);
          if (!parsed.success) {
            return {
              messageId: `Records[${index}]`,
              notices: [malformed(`not an SNS record: ${describeIssues(parsed.error, `Records[${index}]`)}`)],
            };
          }
          return { messageId: parsed.data.Sns.MessageId, notices: readSnsMessage(parsed.data.Sns.Message) };
        }
        const messageId = requestId ? `Records[${index}] (x-amz-request-id ${requestId})` : `Records[${index}]`;
        return { messageId, notices: [readS3Record(record, `Records[${index}]`, 's3')] };
      }),
    };
  }

  const id = stringField(event, 'id') ?? stringField(event, 'RequestId') ?? 'event';
  if (looksLikeEventBridge(event)) return { delivery: 'async', messages: [{ messageId: id, notices: [readEventBridge(event, '')] }] };
  if ('Event' in event) return { delivery: 'async', messages: [{ messageId: id, notices: readS3Notification(event, '', 's3') }] };
  return {
    delivery: 'async',
    messages: [{ messageId: id, notices: [malformed('event has no Records and is not an EventBridge S3 event')] }],
  };
}
