/**
 * Dead-letter queues are alarmed because of how the template uses them, not because of how
 * they are named or indented: the stack packaged with a test-only resource file whose queues
 * (ParkingLot behind a redrive policy, Graveyard behind a rule target) say nothing about dead
 * letters still gets an alarm and a dashboard line for each.
 */
import { packageService, type CfnTemplate } from '../helpers/package-service';

let template: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageService({ stage: 'dev', extraResources: ['tests/fixtures/resources/unusual-dead-letter-queues.yml'] }));
}, 240_000);

const deadLetterAlarmOf = (queue: string) =>
  Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::CloudWatch::Alarm' &&
      r.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
      JSON.stringify(r.Properties.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]),
  )?.Properties;

describe('alarms on dead-letter queues of any name', () => {
  it('packages the test-only queues', () => {
    for (const id of ['ParkingLot', 'InboundOrders', 'Graveyard'])
      expect({ id, type: template.Resources[id]?.Type }).toEqual({ id, type: 'AWS::SQS::Queue' });
  });

  it('alarms on the queue a redrive policy names', () => {
    expect(deadLetterAlarmOf('ParkingLot')).toMatchObject({
      AlarmName: 'ecs-pipelines-dev/dead-letters/ParkingLot',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it("alarms on the queue a rule target's dead-letter config names", () => {
    expect(deadLetterAlarmOf('Graveyard')).toMatchObject({
      AlarmName: 'ecs-pipelines-dev/dead-letters/Graveyard',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('does not take the source queue for a dead-letter queue', () => {
    expect(deadLetterAlarmOf('InboundOrders')).toBeUndefined();
  });

  it('shows both on the dashboard', () => {
    const parts = template.Resources.StageDashboard!.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    for (const queue of ['ParkingLot', 'Graveyard']) expect(parts).toContainEqual({ 'Fn::GetAtt': [queue, 'QueueName'] });
    expect(parts).not.toContainEqual({ 'Fn::GetAtt': ['InboundOrders', 'QueueName'] });
  });
});
