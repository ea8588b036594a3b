/**
 * Name lengths checked offline: names are resolved as far as the stage and region allow, and
 * a stage that makes one too long fails with the name, its limit and the longest stage that fits.
 */
import { checkNameLengths, functionRoleNames, possibleNames } from '../../../stack/names';
import { StackGenerationError, type Template } from '../../../stack/template';

const context = { service: 'ecs-pipelines', stage: 'dev', region: 'us-east-1' };

describe('possibleNames', () => {
  it('resolves pseudo parameters, joins and both branches of a condition', () => {
    expect(possibleNames({ 'Fn::Sub': '${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}' }, context)).toEqual([
      'ecs-pipelines-dev-uploads-123456789012-us-east-1',
    ]);
    expect(possibleNames({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }]] }, context)).toEqual(['a-us-east-1']);
    expect(possibleNames({ 'Fn::If': ['C', 'short', { 'Fn::Sub': ['${X}-b', { X: 'long' }] }] }, context)).toEqual(['short', 'long-b']);
    expect(possibleNames({ 'Fn::Sub': '${!Literal}-x' }, context)).toEqual(['${Literal}-x']);
  });

  it('leaves alone what only a deploy knows', () => {
    expect(possibleNames({ Ref: 'SomeQueue' }, context)).toBeUndefined();
    expect(possibleNames({ 'Fn::Sub': '${SomeQueue.QueueName}-dlq' }, context)).toBeUndefined();
    expect(possibleNames(undefined, context)).toBeUndefined();
  });
});

describe('checkNameLengths', () => {
  const bucket = (): Template => ({
    Resources: {
      UploadsBucket: {
        Type: 'AWS::S3::Bucket',
        Properties: { BucketName: { 'Fn::Sub': '${AWS::StackName}-uploads-${AWS::AccountId}-${AWS::Region}' } },
      },
      Named: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::GetAtt': ['Other', 'QueueName'] } } },
    },
  });

  it('accepts the longest stage whose names fit, in the region packaged for', () => {
    expect(() => checkNameLengths(bucket(), { ...context, stage: 'x'.repeat(18) })).not.toThrow();
    // eu-central-1 is three characters longer than us-east-1.
    expect(() => checkNameLengths(bucket(), { ...context, stage: 'x'.repeat(16), region: 'eu-central-1' })).toThrow(StackGenerationError);
  });

  it('fails naming the stage, the name, its limit and the longest stage that fits', () => {
    expect(() => checkNameLengths(bucket(), { ...context, stage: 'feature-orders-bkfl' })).toThrow(
      'stage "feature-orders-bkfl" (region us-east-1) makes names too long; use a stage name of at most 18 characters:\n' +
        '  - S3 bucket name of UploadsBucket would be 64 characters long, over AWS\'s limit of 63: "ecs-pipelines-feature-orders-bkfl-uploads-123456789012-us-east-1"',
    );
  });

  it('checks the roles serverless-iam-roles-per-function will name for each function', () => {
    const template = { Resources: functionRoleNames(['sweepIncompleteBatches', 'startPipeline'], { ...context, stage: 'x'.repeat(18) }) };
    expect(() => checkNameLengths(template, { ...context, stage: 'x'.repeat(18) })).toThrow(
      /IAM role name of the sweepIncompleteBatches function's role would be 65 characters long, over AWS's limit of 64/,
    );
  });

  it("checks an activity pipeline's activity name (at most 80 characters)", () => {
    const pipeline = 'p'.repeat(40);
    const template: Template = {
      Resources: {
        Activity: { Type: 'AWS::StepFunctions::Activity', Properties: { Name: { 'Fn::Sub': `\${AWS::StackName}-${pipeline}` } } },
      },
    };
    expect(() => checkNameLengths(template, { ...context, stage: 'x'.repeat(25) })).not.toThrow();
    expect(() => checkNameLengths(template, { ...context, stage: 'x'.repeat(26) })).toThrow(
      /activity name of Activity would be 81 characters long/,
    );
  });
});
