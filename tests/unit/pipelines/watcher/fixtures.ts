/** Shared test material for the watcher: fixture loading, event builders, fakes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileArrival } from '../../../../lib/contracts/messages';
import { indexRegistry, parseRegistry } from '../../../../lib/registry/parse-registry';
import type { WatcherLog, WatcherMetrics } from '../../../../lib/pipelines/watcher';

export const fixture = <T = any>(path: string): T => JSON.parse(readFileSync(join(__dirname, '../../../events', path), 'utf8')) as T;

/** The bucket of the derived fixtures, standing in for the stack's uploads bucket. */
export const TEST_BUCKET = 'ecs-pipelines-local-uploads-000000000000-us-east-1';

/**
 * A registry for hostile cases. `local-partner` (the stack's bucket) comes before
 * `partner` (its own bucket) with the same pattern, so matching must respect buckets.
 */
export const testRegistry = () =>
  indexRegistry(
    parseRegistry(
      `
pipelines:
  drops:
    trigger:
      files:
        report: drops/{day}/report-{part}.csv
      windowMinutes: 5
    task: { taskDefinition: sample, container: c, image: example.com/c:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 60 }
  local-partner:
    trigger:
      files:
        feed: partner/{day}.json
      windowMinutes: 5
    task: { taskDefinition: sample, container: c, image: example.com/c:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 60 }
  partner:
    trigger:
      bucket: partner-bucket
      files:
        feed: partner/{day}.json
      windowMinutes: 5
    task: { taskDefinition: sample, container: c, image: example.com/c:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 60 }
`,
      'test-registry.yml',
    ),
  );

const clone = <T>(value: T): T => structuredClone(value);

/** An S3 notification record from the real ObjectCreated:Put sample, with fields replaced. */
export function s3Record(overrides: {
  key: string;
  bucket?: string;
  eventName?: string;
  size?: number;
  eTag?: string;
  versionId?: string;
}) {
  const record = clone(fixture('s3/s3-object-created-put.json').Records[0]);
  record.s3.object.key = overrides.key;
  record.s3.bucket.name = overrides.bucket ?? TEST_BUCKET;
  if (overrides.eventName) record.eventName = overrides.eventName;
  if (overrides.size !== undefined) record.s3.object.size = overrides.size;
  if (overrides.eTag !== undefined) record.s3.object.eTag = overrides.eTag;
  if (overrides.versionId !== undefined) record.s3.object.versionId = overrides.versionId;
  return record;
}

/** An EventBridge Object Created event from the real sample, with fields replaced. */
export function eventBridgeEvent(overrides: { key: string; bucket?: string; detailType?: string; id?: string }) {
  const event = clone(fixture('s3-eventbridge/object-created.json'));
  event.detail.object.key = overrides.key;
  event.detail.bucket.name = overrides.bucket ?? TEST_BUCKET;
  if (overrides.detailType) event['detail-type'] = overrides.detailType;
  if (overrides.id) event.id = overrides.id;
  return event;
}

/** An SQS record from the real S3-in-SQS sample, with its body replaced. */
export function sqsRecord(messageId: string, body: unknown) {
  const record = clone(fixture('s3/s3-via-sqs.json').Records[0]);
  record.messageId = messageId;
  record.body = typeof body === 'string' ? body : JSON.stringify(body);
  return record;
}

export const sqsEvent = (...records: unknown[]) => ({ Records: records });

/** The SNS-in-SQS body of the real sample around another message. */
export function snsBody(message: unknown): string {
  const envelope = JSON.parse(fixture('s3/s3-via-sns-via-sqs.json').Records[0].body);
  envelope.Message = typeof message === 'string' ? message : JSON.stringify(message);
  return JSON.stringify(envelope);
}

export class RecordingPublisher {
  readonly calls: FileArrival[][] = [];
  failWith?: (arrivals: readonly FileArrival[]) => Error | undefined;
  async publish(arrivals: readonly FileArrival[]): Promise<void> {
    this.calls.push([...arrivals]);
    const error = this.failWith?.(arrivals);
    if (error) throw error;
  }
  get published(): FileArrival[] {
    return this.calls.flat();
  }
}

export class RecordingLog implements WatcherLog {
  readonly entries: Array<{ level: 'debug' | 'error'; message: string; attributes: Record<string, unknown> }> = [];
  debug(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'debug', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, attributes });
  }
  at(level: 'debug' | 'error') {
    return this.entries.filter((entry) => entry.level === level);
  }
}

export class RecordingMetrics implements WatcherMetrics {
  readonly values = new Map<string, number>();
  addMetric(name: string, _unit: string, value: number): void {
    this.values.set(name, (this.values.get(name) ?? 0) + value);
  }
}
