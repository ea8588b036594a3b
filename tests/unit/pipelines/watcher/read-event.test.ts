import { readWatcherEvent, type Notice } from '../../../../lib/pipelines/watcher';
import { eventBridgeEvent, fixture, s3Record, snsBody, sqsEvent, sqsRecord } from './fixtures';

const notices = (event: unknown): Notice[] => readWatcherEvent(event).messages.flatMap((m) => m.notices);

describe('readWatcherEvent over the real AWS samples', () => {
  it('reads a direct S3 ObjectCreated:Put notification as an uploaded object', () => {
    const read = readWatcherEvent(fixture('s3/s3-object-created-put.json'));

    expect(read.delivery).toBe('async');
    expect(read.messages).toEqual([
      {
        messageId: 'Records[0] (x-amz-request-id D82B88E5F771F645)',
        notices: [
          {
            kind: 'object',
            object: {
              bucket: 'lambda-artifacts-deafc19498e3f2df',
              key: 'b21b84d653bb07b05b1e6b33684dc11b',
              size: 1305107,
              etag: 'b21b84d653bb07b05b1e6b33684dc11b',
              sequencer: '0C0F6F405D6ED209E1',
              eventTime: '2019-09-03T19:37:27.192Z',
              source: 's3',
            },
          },
        ],
      },
    ]);
  });

  it('keeps versionId and a multipart etag of a CompleteMultipartUpload', () => {
    const [notice] = notices(fixture('s3/s3-object-created-complete-multipart-upload.json'));

    expect(notice).toMatchObject({
      kind: 'object',
      object: {
        key: 'multipart_object.txt',
        etag: '09876543210987654321098765432109-2',
        versionId: 'r_qtaksdfj9127489Uaksdfj',
        size: 8388608,
      },
    });
  });

  it('accepts ObjectCreated:Copy', () => {
    expect(notices(fixture('s3/s3-object-created-copy.json'))).toMatchObject([{ kind: 'object', object: { key: 'copied_object.txt' } }]);
  });

  it('decodes notification keys: %20 and + become spaces', () => {
    expect(notices(fixture('s3/s3-url-encoded-key-percent20.json'))).toMatchObject([{ object: { key: 'Happy Face.jpg' } }]);
    expect(notices(fixture('s3/s3-url-encoded-key-plus-space-two-records.json'))).toMatchObject([
      { object: { key: 'HappyFace.jpg' } },
      { object: { key: 'New File.jpg' } },
    ]);
  });

  it.each([
    ['s3/s3-test-event.json', 'test-event'],
    ['s3/s3-object-removed-delete.json', 'deletion'],
    ['s3/s3-object-removed-delete-marker-created.json', 'deletion'],
    ['s3/s3-object-restore-completed-glacier.json', 'restore'],
    ['s3/s3-lifecycle-expiration-delete.json', 'lifecycle'],
    ['s3/s3-lifecycle-transition.json', 'lifecycle'],
    ['s3/s3-replication-operation-failed.json', 'replication'],
    ['s3/s3-intelligent-tiering-transition.json', 'intelligent-tiering'],
    ['s3-eventbridge/object-deleted-delete-marker.json', 'deletion'],
    ['s3-eventbridge/object-deleted-lifecycle-expiration.json', 'lifecycle'],
    ['s3-eventbridge/object-restore-completed.json', 'restore'],
  ])('ignores %s as %s', (path, reason) => {
    expect(notices(fixture(path))).toEqual([expect.objectContaining({ kind: 'ignored', reason })]);
  });

  it('reads an EventBridge Object Created event without decoding its key', () => {
    const read = readWatcherEvent(fixture('s3-eventbridge/object-created-versioned.json'));

    expect(read).toEqual({
      delivery: 'async',
      messages: [
        {
          messageId: '17793124-05d4-b198-2fde-7ededc63b103',
          notices: [
            {
              kind: 'object',
              object: {
                bucket: 'DOC-EXAMPLE-BUCKET1',
                key: 'example-key',
                size: 5,
                etag: 'b1946ac92492d2347c6235b4d2611184',
                versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
                sequencer: '617f08299329d189',
                eventTime: '2021-11-12T00:00:00Z',
                source: 'eventbridge',
              },
            },
          ],
        },
      ],
    });
  });

  it('reads S3 notifications inside SQS bodies, SNS envelopes in SQS, and direct SNS', () => {
    const viaSqs = readWatcherEvent(fixture('s3/s3-via-sqs.json'));
    const viaSnsSqs = readWatcherEvent(fixture('s3/s3-via-sns-via-sqs.json'));
    const viaSns = readWatcherEvent(fixture('s3/s3-via-sns.json'));

    expect(viaSqs).toMatchObject({
      delivery: 'sqs',
      messages: [
        {
          messageId: 'ca3e7a89-c358-40e5-8aa0-5da01403c267',
          notices: [
            { kind: 'object', object: { bucket: 'xxx', key: 'test.pdf', versionId: 'yd3d4HaWOT2zguDLvIQLU6ptDTwKBnQV', source: 'sqs' } },
          ],
        },
      ],
    });
    expect(viaSnsSqs).toMatchObject({
      delivery: 'sqs',
      messages: [
        {
          messageId: '45405be4-2278-4eef-a29c-993898bb8917',
          notices: [{ object: { key: 'firehose-s3-template.json', size: 4314, source: 'sns' } }],
        },
      ],
    });
    expect(viaSns).toMatchObject({
      delivery: 'async',
      messages: [{ messageId: '2d44624b-23f8-5e80-99d9-3c265035c5ae', notices: [{ object: { key: 'samconfig.toml', source: 'sns' } }] }],
    });
  });

  it('reads an EventBridge event inside an SQS body (key size 0 is fine)', () => {
    expect(readWatcherEvent(fixture('s3-eventbridge/object-created-via-sqs.json'))).toMatchObject({
      delivery: 'sqs',
      messages: [
        {
          messageId: 'ee95829a-ba32-471d-9684-34368ab9995e',
          notices: [{ object: { key: '__init__.py', size: 0, source: 'eventbridge' } }],
        },
      ],
    });
  });

  it('names what is wrong in SQS messages that carry no S3 event', () => {
    const read = readWatcherEvent(fixture('sqs/sqs-standard-two-records.json'));

    expect(read.delivery).toBe('sqs');
    expect(read.messages).toEqual([
      {
        messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
        notices: [{ kind: 'malformed', problem: expect.stringMatching(/^body is not JSON .*"Test message\."/) }],
      },
      {
        messageId: '2e1424d4-f796-459a-8184-9c92662be6da',
        notices: [{ kind: 'malformed', problem: 'body is neither an S3 notification, an EventBridge S3 event nor an SNS notification' }],
      },
    ]);
    expect(notices(fixture('sqs/sqs-with-sns-envelope.json'))).toEqual([
      { kind: 'malformed', problem: 'SNS Message has no Records array' },
    ]);
    expect(notices(fixture('sqs/sqs-fifo-with-sns-fifo-envelope.json'))).toEqual([
      { kind: 'malformed', problem: 'SNS Message has no Records array' },
    ]);
  });

  it('names direct SNS notifications that carry no S3 event', () => {
    expect(readWatcherEvent(fixture('sns/sns-notification.json')).messages).toEqual([
      {
        messageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
        notices: [{ kind: 'malformed', problem: expect.stringMatching(/^SNS Message is not JSON/) }],
      },
    ]);
  });
});

describe('readWatcherEvent over hostile input', () => {
  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an object with no Records', { hello: 'world' }],
  ])('an event that is %s is one malformed message', (_, event) => {
    const read = readWatcherEvent(event);
    expect(read.delivery).toBe('async');
    expect(read.messages).toHaveLength(1);
    expect(read.messages[0]!.notices).toEqual([{ kind: 'malformed', problem: expect.any(String) }]);
  });

  it('an empty Records array is an empty batch, not an error', () => {
    expect(readWatcherEvent({ Records: [] })).toEqual({ delivery: 'async', messages: [] });
  });

  it('a record without a key names the record and the field', () => {
    const record = s3Record({ key: 'x' });
    delete record.s3.object.key;

    expect(notices({ Records: [record] })).toEqual([{ kind: 'malformed', problem: expect.stringContaining('Records[0].s3.object.key') }]);
  });

  it('an ObjectCreated record without size or eTag is malformed, not silently zero', () => {
    const noSize = s3Record({ key: 'a.csv' });
    delete noSize.s3.object.size;
    const noEtag = s3Record({ key: 'b.csv' });
    delete noEtag.s3.object.eTag;

    expect(notices({ Records: [noSize, noEtag] })).toEqual([
      { kind: 'malformed', problem: 'Records[0].s3.object.size is missing on ObjectCreated:Put' },
      { kind: 'malformed', problem: 'Records[1].s3.object.eTag is missing on ObjectCreated:Put' },
    ]);
  });

  it('a key that is not valid URL encoding is malformed and named', () => {
    expect(notices({ Records: [s3Record({ key: 'report-100%.csv' })] })).toEqual([
      {
        kind: 'malformed',
        problem: expect.stringContaining('Records[0].s3.object.key: key "report-100%.csv" is not valid S3 URL encoding'),
      },
    ]);
  });

  it('strips quotes from an etag', () => {
    expect(notices({ Records: [s3Record({ key: 'a.csv', eTag: '"abc123"' })] })).toMatchObject([{ object: { etag: 'abc123' } }]);
  });

  it('tells malformed from good records inside one SQS body', () => {
    const bad = s3Record({ key: 'b.csv' });
    delete bad.s3.object.key;
    const read = readWatcherEvent(sqsEvent(sqsRecord('m-1', { Records: [s3Record({ key: 'a.csv' }), bad] })));

    expect(read.messages[0]!.notices).toEqual([
      expect.objectContaining({ kind: 'object' }),
      { kind: 'malformed', problem: expect.stringContaining('body.Records[1].s3.object.key') },
    ]);
  });

  it('a body holding an empty Records array is malformed: S3 never sends one', () => {
    expect(notices(sqsEvent(sqsRecord('m-1', { Records: [] })))).toEqual([{ kind: 'malformed', problem: 'body.Records is empty' }]);
  });

  it('an SQS record without a body names the record', () => {
    const record = sqsRecord('m-1', '{}');
    delete (record as { body?: string }).body;
    expect(readWatcherEvent(sqsEvent(record)).messages).toEqual([
      { messageId: 'm-1', notices: [{ kind: 'malformed', problem: expect.stringContaining('Records[0].body') }] },
    ]);
  });

  it('an S3 test event inside SQS or SNS is ignored', () => {
    const testEvent = fixture('s3/s3-test-event.json');
    expect(notices(sqsEvent(sqsRecord('m-1', testEvent), sqsRecord('m-2', snsBody(testEvent))))).toEqual([
      { kind: 'ignored', reason: 'test-event', what: 's3:TestEvent' },
      { kind: 'ignored', reason: 'test-event', what: 's3:TestEvent' },
    ]);
  });

  it('an EventBridge event from another source is malformed', () => {
    expect(notices(fixture('s3-eventbridge/object-created.json'))).toMatchObject([{ kind: 'object' }]);
    const other = { ...eventBridgeEvent({ key: 'a.csv' }), source: 'aws.ec2' };
    expect(notices(other)).toEqual([{ kind: 'malformed', problem: expect.stringContaining('source') }]);
  });

  it.each([
    ['Object ACL Updated', 'other-event'],
    ['Object Tags Added', 'other-event'],
    ['Object Storage Class Changed', 'lifecycle'],
    ['Object Access Tier Changed', 'intelligent-tiering'],
    ['Object Restore Initiated', 'restore'],
  ])('EventBridge %s is ignored as %s', (detailType, reason) => {
    expect(notices(eventBridgeEvent({ key: 'a.csv', detailType }))).toEqual([expect.objectContaining({ kind: 'ignored', reason })]);
  });

  it.each([
    ['ObjectTagging:Put', 'other-event'],
    ['ObjectAcl:Put', 'other-event'],
    ['ObjectRestore:Post', 'restore'],
    ['LifecycleTransition', 'lifecycle'],
    ['Replication:OperationReplicatedAfterThreshold', 'replication'],
  ])('notification %s is ignored as %s', (eventName, reason) => {
    expect(notices({ Records: [s3Record({ key: 'a.csv', eventName })] })).toEqual([expect.objectContaining({ kind: 'ignored', reason })]);
  });
});
