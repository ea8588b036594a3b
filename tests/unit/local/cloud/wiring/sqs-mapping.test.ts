/**
 * How the SQS mapping reads a function's response, by Lambda's rules for
 * ReportBatchItemFailures: no report is success, a report it cannot use fails everything.
 */
import { failedMessageIds, toSqsRecord, type SqsRecord } from '../../../../../local/cloud/wiring/sqs-mapping';

const records: SqsRecord[] = ['m1', 'm2', 'm3'].map((id) =>
  toSqsRecord(
    { MessageId: id, ReceiptHandle: `r-${id}`, Body: id },
    { queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', region: 'us-east-1' },
  ),
);
const failed = (response: unknown, report = true) => [...failedMessageIds(records, response, report).failed].sort();

describe('failedMessageIds', () => {
  it.each([[null], [undefined], [{}], [{ batchItemFailures: [] }], [{ batchItemFailures: null }]])(
    'treats %p as a complete success',
    (response) => {
      expect(failed(response)).toEqual([]);
    },
  );

  it('fails only the reported messages', () => {
    expect(failed({ batchItemFailures: [{ itemIdentifier: 'm2' }] })).toEqual(['m2']);
  });

  it.each([
    ['an unknown message id', { batchItemFailures: [{ itemIdentifier: 'nope' }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a misspelt key', { batchItemFailures: [{ itemId: 'm1' }] }],
    ['a report that is not a list', { batchItemFailures: 'm1' }],
  ])('fails the whole batch for %s, saying why', (_, response) => {
    const report = failedMessageIds(records, response, true);
    expect([...report.failed].sort()).toEqual(['m1', 'm2', 'm3']);
    expect(report.why).toBeDefined();
  });

  it('ignores the response when the mapping does not report batch item failures', () => {
    expect(failed({ batchItemFailures: [{ itemIdentifier: 'm1' }] }, false)).toEqual([]);
  });

  it('builds the record Lambda sends, message attributes in its shape', () => {
    const record = toSqsRecord(
      {
        MessageId: 'id',
        ReceiptHandle: 'rh',
        Body: 'b',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '1' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
      },
      { queueArn: 'arn:q', region: 'eu-west-1' },
    );
    expect(record).toEqual({
      messageId: 'id',
      receiptHandle: 'rh',
      body: 'b',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { kind: { stringValue: 'x', stringListValues: [], binaryListValues: [], dataType: 'String' } },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:q',
      awsRegion: 'eu-west-1',
    });
  });
});
