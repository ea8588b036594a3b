/** The Runs and Step Functions adapters against mocked clients: the AWS-only paths dynalite cannot show. */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runsTable } from '../../../../lib/pipelines/adapters/runs-table';
import { stepFunctions } from '../../../../lib/pipelines/adapters/step-functions';
import { STATE_MACHINE_ARN } from '../start/fakes';

const ddb = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
});

const lockRequest = {
  runKey: 'p#b',
  pipeline: 'p',
  batchKey: 'b',
  trigger: 's3' as const,
  attempt: 1,
  executionName: 'p-b-a1_x',
  requestedAt: '2026-11-20T08:00:00.000Z',
  now: 1000,
  leaseExpiresAt: 1120,
};

describe('runsTable.acquireLock', () => {
  test('is one conditional PutItem asking for the holder on failure', async () => {
    ddb.on(PutCommand).resolves({});
    await expect(runsTable(doc, 'Runs').acquireLock(lockRequest)).resolves.toEqual({ acquired: true });
    const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'Runs',
      ConditionExpression: 'attribute_not_exists(pk) OR (#status = :starting AND #lease < :now AND attribute_not_exists(#queue))',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      Item: { pk: 'p#b', status: 'STARTING', attempt: 1, leaseExpiresAt: 1120, executionName: 'p-b-a1_x' },
    });
    expect(input.Item).not.toHaveProperty('objects');
  });

  test('the loser reads the holder from the failed condition (marshalled), with no extra read', async () => {
    const holder = {
      pk: 'p#b',
      pipeline: 'p',
      batchKey: 'b',
      trigger: 's3',
      status: 'RUNNING',
      attempt: 1,
      executionName: 'p-b-a1_x',
      requestedAt: 't',
      executionArn: 'arn:x',
    };
    ddb
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(holder) }));
    await expect(runsTable(doc, 'Runs').acquireLock(lockRequest)).resolves.toEqual({ acquired: false, holder });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('other errors are not taken for a lost lock', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(runsTable(doc, 'Runs').acquireLock(lockRequest)).rejects.toThrow('throttled');
  });
});

describe('stepFunctions.startExecution', () => {
  test('passes the state machine, name and input', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    await expect(stepFunctions(new SFNClient({}), STATE_MACHINE_ARN).startExecution({ name: 'n', input: '{}' })).resolves.toEqual({
      executionArn: 'arn:exec',
      alreadyExisted: false,
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'n',
      input: '{}',
    });
  });

  test('ExecutionAlreadyExists is success: already started, with the ARN the name has', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(stepFunctions(new SFNClient({}), STATE_MACHINE_ARN).startExecution({ name: 'n', input: '{}' })).resolves.toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:ecs-pipelines-test-pipeline:n',
      alreadyExisted: true,
    });
  });

  test('other errors propagate', async () => {
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(stepFunctions(new SFNClient({}), STATE_MACHINE_ARN).startExecution({ name: 'n', input: '{}' })).rejects.toThrow(
      'Rate exceeded',
    );
  });
});
