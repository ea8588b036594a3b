import { KinesisPublishError } from '../../../../lib/pipelines/adapters/kinesis-publisher';
import { pipelines } from '../../../../lib/registry';
import { MalformedEventError, readWatcherEvent, watchUploads, type WatchUploadsDeps } from '../../../../lib/pipelines/watcher';
import {
  eventBridgeEvent,
  fixture,
  RecordingLog,
  RecordingMetrics,
  RecordingPublisher,
  s3Record,
  snsBody,
  sqsEvent,
  sqsRecord,
  TEST_BUCKET,
  testRegistry,
} from './fixtures';

let publisher: RecordingPublisher;
let log: RecordingLog;
let metrics: RecordingMetrics;
const deps = (overrides: Partial<WatchUploadsDeps> = {}): WatchUploadsDeps => ({
  publisher,
  registry: testRegistry(),
  uploadsBucket: TEST_BUCKET,
  log,
  metrics,
  clock: () => new Date('2026-11-20T10:00:00Z'),
  ...overrides,
});
const run = (event: unknown, overrides: Partial<WatchUploadsDeps> = {}) => watchUploads(readWatcherEvent(event), deps(overrides));

/** How S3 encodes a key in notifications: form encoding, `/` kept. */
const s3Encode = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

beforeEach(() => {
  publisher = new RecordingPublisher();
  log = new RecordingLog();
  metrics = new RecordingMetrics();
});

describe('watchUploads with the sample pipelines (pipelines.yml) and derived real events', () => {
  const real = () => ({ registry: pipelines() });

  it('publishes a direct S3 notification as a FileArrival with the decoded key', async () => {
    const outcome = await run(fixture('s3/derived-orders-put-encoded-key.json'), real());

    expect(publisher.calls).toEqual([
      [
        {
          pipeline: 'orders-daily',
          batchKey: '2026-11-20 09:30+01:00',
          file: 'orders',
          bucket: TEST_BUCKET,
          key: 'incoming/acme/orders-2026-11-20 09:30+01:00.csv',
          size: 1305107,
          etag: 'b21b84d653bb07b05b1e6b33684dc11b',
          sequencer: '0C0F6F405D6ED209E1',
          eventTime: '2019-09-03T19:37:27.192Z',
          source: 's3',
        },
      ],
    ]);
    expect(outcome).toMatchObject({ delivery: 'async', published: 1, malformed: [], failedMessageIds: [] });
    expect(metrics.values.get('FilesPublished')).toBe(1);
  });

  it('puts the EventBridge (raw key) and notification (encoded key) files of one batch on one batch key', async () => {
    await run(fixture('s3/derived-orders-put-encoded-key.json'), real());
    await run(fixture('s3-eventbridge/derived-customers-created.json'), real());

    expect(publisher.published.map(({ file, batchKey, key, source }) => ({ file, batchKey, key, source }))).toEqual([
      { file: 'orders', batchKey: '2026-11-20 09:30+01:00', key: 'incoming/acme/orders-2026-11-20 09:30+01:00.csv', source: 's3' },
      {
        file: 'customers',
        batchKey: '2026-11-20 09:30+01:00',
        key: 'incoming/acme/customers-2026-11-20 09:30+01:00.csv',
        source: 'eventbridge',
      },
    ]);
  });

  it('publishes from S3-in-SQS, S3-in-SNS-in-SQS and EventBridge-in-SQS and reports no failures', async () => {
    const outcomes = [
      await run(fixture('s3/derived-customers-via-sqs.json'), real()),
      await run(fixture('s3/derived-orders-via-sns-via-sqs.json'), real()),
      await run(fixture('s3-eventbridge/derived-inventory-created-via-sqs.json'), real()),
    ];

    expect(outcomes.map((o) => [o.delivery, o.failedMessageIds])).toEqual([
      ['sqs', []],
      ['sqs', []],
      ['sqs', []],
    ]);
    expect(publisher.published.map(({ pipeline, file, batchKey, source }) => ({ pipeline, file, batchKey, source }))).toEqual([
      { pipeline: 'orders-daily', file: 'customers', batchKey: '2026-11-20 09:30+01:00', source: 'sqs' },
      { pipeline: 'orders-daily', file: 'orders', batchKey: '2026-11-21', source: 'sns' },
      { pipeline: 'inventory-snapshot', file: 'snapshot', batchKey: 'eu-west_2026-11-20', source: 'eventbridge' },
    ]);
  });

  it('reports each malformed SQS message once, by id, and still publishes the good ones beside them', async () => {
    const outcome = await run(fixture('sqs/derived-mixed-good-and-malformed.json'), real());

    expect(publisher.calls).toHaveLength(1);
    expect(publisher.calls[0]!.map((a) => a.key)).toEqual([
      'incoming/acme/customers-2026-11-20 09:30+01:00.csv',
      'incoming/inventory/eu-west/snapshot-2026-11-20.csv',
    ]);
    expect(outcome.failedMessageIds).toEqual([
      '059f36b4-87a3-44ab-83d2-661975830a7d',
      'b7d0e5a4-0c1e-4f3b-9a57-6f2f0d1c9e11',
      '79406a00-bf15-46ca-978c-22c3613fcb30',
    ]);
    const errors = log.at('error');
    expect(errors.map((e) => e.attributes.messageId)).toEqual(outcome.failedMessageIds);
    expect(errors[0]!.attributes.problem).toMatch(/^body is not JSON/);
    expect(errors[1]!.attributes.problem).toContain('body.Records[0].s3.object.key');
    expect(errors[2]!.attributes.problem).toBe('SNS Message has no Records array');
    expect(metrics.values.get('MalformedMessages')).toBe(3);
  });

  it('ignores every non-creation sample: counted per reason, logged at debug, never an error, nothing published', async () => {
    const samples = [
      's3/s3-test-event.json',
      's3/s3-object-removed-delete.json',
      's3/s3-object-removed-delete-marker-created.json',
      's3/s3-object-restore-completed-glacier.json',
      's3/s3-lifecycle-expiration-delete.json',
      's3/s3-lifecycle-transition.json',
      's3/s3-replication-operation-failed.json',
      's3/s3-intelligent-tiering-transition.json',
      's3-eventbridge/object-deleted-delete-marker.json',
      's3-eventbridge/object-deleted-lifecycle-expiration.json',
      's3-eventbridge/object-restore-completed.json',
      's3/s3-object-created-put.json',
    ];
    for (const sample of samples) await run(fixture(sample), real());

    expect(publisher.calls).toEqual([]);
    expect(log.at('error')).toEqual([]);
    expect(log.at('debug')).toHaveLength(samples.length);
    expect(Object.fromEntries([...metrics.values].filter(([name]) => name.startsWith('Ignored')))).toEqual({
      IgnoredTestEvent: 1,
      IgnoredDeletion: 3,
      IgnoredRestore: 2,
      IgnoredLifecycle: 3,
      IgnoredReplication: 1,
      IgnoredIntelligentTiering: 1,
      // s3-object-created-put.json names a bucket no pipeline watches.
      IgnoredOtherBucket: 1,
    });
  });
});

describe('watchUploads over hostile keys', () => {
  const hostile = [
    ['spaces', 'drops/2026-11-20/report-north east.csv', 'north east'],
    ['a literal plus', 'drops/2026-11-20/report-a+b.csv', 'a+b'],
    ['a percent sign', 'drops/2026-11-20/report-100%.csv', '100%'],
    ['an encoded-looking literal', 'drops/2026-11-20/report-a%2Bb.csv', 'a%2Bb'],
    ['colons', 'drops/2026-11-20T09:30:00Z/report-x.csv', '2026-11-20T09:30:00Z_x'],
    ['non-ASCII', 'drops/日本/report-café 📦.csv', '日本_café 📦'],
  ] as const;

  it.each(hostile)('a key with %s arrives decoded from a notification and raw from EventBridge, on one batch key', async (_, key, part) => {
    const notification = await run({ Records: [s3Record({ key: s3Encode(key) })] });
    const bridge = await run(eventBridgeEvent({ key }));

    expect(notification.published + bridge.published).toBe(2);
    const [fromS3, fromBridge] = publisher.published;
    expect(fromS3).toMatchObject({ key, pipeline: 'drops', file: 'report', source: 's3' });
    expect(fromBridge).toMatchObject({ key, pipeline: 'drops', file: 'report', source: 'eventbridge' });
    expect(fromS3!.batchKey).toBe(fromBridge!.batchKey);
    expect(fromS3!.batchKey.endsWith(part)).toBe(true);
  });

  it('does not decode EventBridge keys: a raw "+" stays a plus and "%2B" stays as written', async () => {
    await run(eventBridgeEvent({ key: 'drops/d/report-a+b%2Bc.csv' }));
    expect(publisher.published[0]!.key).toBe('drops/d/report-a+b%2Bc.csv');
  });

  it('matches pipelines by bucket: a bucket-less pipeline owns only the stack bucket', async () => {
    await run({
      Records: [
        s3Record({ key: 'partner/2026-11-20.json', bucket: 'partner-bucket' }),
        s3Record({ key: 'partner/2026-11-20.json', bucket: TEST_BUCKET }),
        s3Record({ key: 'partner/2026-11-20.json', bucket: 'someone-elses-bucket' }),
        s3Record({ key: 'drops/2026-11-20/report-x.csv', bucket: 'partner-bucket' }),
      ],
    });

    expect(publisher.published.map((a) => [a.bucket, a.pipeline])).toEqual([
      ['partner-bucket', 'partner'],
      [TEST_BUCKET, 'local-partner'],
    ]);
    // Each ignored object says which part did not match: the bucket, then the prefix.
    expect(metrics.values.get('IgnoredOtherBucket')).toBe(1);
    expect(metrics.values.get('IgnoredOutsidePrefix')).toBe(1);
    expect(log.at('debug').map((e) => e.attributes.what)).toEqual([
      's3://someone-elses-bucket/partner/2026-11-20.json',
      's3://partner-bucket/drops/2026-11-20/report-x.csv',
    ]);
    expect(log.at('debug').map((e) => [e.attributes.reason, e.attributes.detail])).toEqual([
      ['other-bucket', `bucket someone-elses-bucket is watched by no pipeline (watched: ${TEST_BUCKET}, partner-bucket)`],
      ['outside-prefix', 'key is under none of the prefixes watched in bucket partner-bucket (partner/)'],
    ]);
  });

  it('says which part of the trigger an unclaimed object missed: bucket, prefix or file pattern', async () => {
    // Prepare: the project's registry; the same key in another bucket, a key outside the prefixes, one under a prefix with no pattern.
    // Act
    await run(
      {
        Records: [
          s3Record({ key: 'incoming/acme/orders-2026-11-20.csv', bucket: 'ecs-pipelines-dev-uploads-123456789012-eu-west-1' }),
          s3Record({ key: 'outgoing/orders-2026-11-20.csv' }),
          s3Record({ key: 'incoming/acme/notes.txt' }),
        ],
      },
      { registry: pipelines() },
    );
    // Assess
    expect(publisher.published).toEqual([]);
    expect(log.at('debug').map((e) => [e.attributes.reason, e.attributes.detail])).toEqual([
      ['other-bucket', `bucket ecs-pipelines-dev-uploads-123456789012-eu-west-1 is watched by no pipeline (watched: ${TEST_BUCKET})`],
      [
        'outside-prefix',
        `key is under none of the prefixes watched in bucket ${TEST_BUCKET} (incoming/acme/, incoming/inventory/, incoming/inventory-parts/)`,
      ],
      [
        'no-pattern-match',
        'key is under a watched prefix but matches none of its file patterns (orders-daily orders: incoming/acme/orders-{date}.csv; orders-daily customers: incoming/acme/customers-{date}.csv)',
      ],
    ]);
    expect(Object.fromEntries([...metrics.values].filter(([name]) => name.startsWith('Ignored')))).toEqual({
      IgnoredOtherBucket: 1,
      IgnoredOutsidePrefix: 1,
      IgnoredNoPatternMatch: 1,
    });
  });
});

describe('watchUploads: malformed input and publish failures', () => {
  it('an async event with a malformed record publishes the good records first, then throws naming the bad one', async () => {
    const bad = s3Record({ key: 'drops/d/report-b.csv' });
    delete bad.s3.object.key;

    const attempt = run({ Records: [s3Record({ key: 'drops/d/report-a.csv' }), bad] });

    await expect(attempt).rejects.toThrow(MalformedEventError);
    await expect(attempt).rejects.toThrow(/Records\[1\] \(x-amz-request-id D82B88E5F771F645\): .*Records\[1\]\.s3\.object\.key/);
    expect(publisher.published.map((a) => a.key)).toEqual(['drops/d/report-a.csv']);
    expect(log.at('error')).toHaveLength(1);
    expect(log.at('error')[0]!.attributes).toMatchObject({
      messageId: 'Records[1] (x-amz-request-id D82B88E5F771F645)',
      delivery: 'async',
    });
  });

  it('a malformed EventBridge event throws naming the event id', async () => {
    const event = eventBridgeEvent({ key: 'drops/d/report-a.csv', id: 'eb-1' });
    delete event.detail.object.key;

    await expect(run(event)).rejects.toThrow(/eb-1: not an S3 EventBridge event: detail\.object\.key/);
    expect(publisher.calls).toEqual([]);
  });

  it('an event with no Records at all throws, naming the event', async () => {
    await expect(run({ hello: 'world' })).rejects.toThrow('event: event has no Records and is not an EventBridge S3 event');
  });

  it('an empty batch publishes nothing and fails nothing', async () => {
    const outcome = await run({ Records: [] });
    expect(publisher.calls).toEqual([]);
    expect(outcome).toMatchObject({ published: 0, failedMessageIds: [] });
  });

  it('from SQS, records Kinesis would not take fail exactly their messages', async () => {
    publisher.failWith = (arrivals) =>
      new KinesisPublishError(
        'stream',
        [{ index: 2, partitionKey: 'drops#d_c', errorCode: 'ProvisionedThroughputExceededException' }],
        arrivals.length,
        5,
      );
    const body = (...keys: string[]) => ({ Records: keys.map((key) => s3Record({ key })) });

    const outcome = await run(
      sqsEvent(
        sqsRecord('m-1', body('drops/d/report-a.csv', 'drops/d/report-b.csv')),
        sqsRecord('m-2', snsBody(body('drops/d/report-c.csv'))),
        sqsRecord('m-3', body('drops/d/report-d.csv')),
      ),
    );

    expect(outcome.failedMessageIds).toEqual(['m-2']);
    expect(outcome.published).toBe(3);
    expect(log.at('error')[0]!.attributes.messageIds).toEqual(['m-2']);
    expect(metrics.values.get('FilesNotPublished')).toBe(1);
  });

  it('from an async source, a publish failure fails the invocation', async () => {
    const failure = new KinesisPublishError('stream', [{ index: 0, partitionKey: 'k', errorCode: 'InternalFailure' }], 1, 5);
    publisher.failWith = () => failure;

    await expect(run({ Records: [s3Record({ key: 'drops/d/report-a.csv' })] })).rejects.toBe(failure);
  });

  it('from SQS, an unexpected publisher error fails the whole batch', async () => {
    publisher.failWith = () => new Error('socket hang up');
    await expect(run(sqsEvent(sqsRecord('m-1', { Records: [s3Record({ key: 'drops/d/report-a.csv' })] })))).rejects.toThrow(
      'socket hang up',
    );
  });

  it('publishes a huge SQS batch in one ordered call (the adapter chunks it)', async () => {
    const records = Array.from({ length: 1_200 }, (_, i) =>
      sqsRecord(`m-${i}`, { Records: [s3Record({ key: `drops/d${i % 7}/report-${i}.csv` })] }),
    );

    const outcome = await run(sqsEvent(...records));

    expect(publisher.calls).toHaveLength(1);
    expect(publisher.calls[0]!.map((a) => a.key)).toEqual(records.map((_, i) => `drops/d${i % 7}/report-${i}.csv`));
    expect(outcome).toMatchObject({ published: 1_200, failedMessageIds: [] });
  });

  it('measures the age of the oldest published event with the injected clock', async () => {
    const record = s3Record({ key: 'drops/d/report-a.csv' });
    record.eventTime = '2026-11-20T09:59:00.000Z';
    await run({ Records: [record] });
    expect(metrics.values.get('UploadToPublishLag')).toBe(60_000);
  });
});
