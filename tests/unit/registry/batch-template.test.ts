/** schedule.batch templates: capture values from a fire time in a time zone. */
import { BatchTemplateError, isTimeZone, parseBatchTemplate, renderBatchTemplate } from '../../../lib/registry/batch-template';

const at = (iso: string) => new Date(iso);

describe('renderBatchTemplate', () => {
  it.each([
    ['{fireDate}', '2026-11-20T06:00:00Z', 'UTC', '2026-11-20'],
    ['{fireDate - 1 day}', '2026-11-20T06:00:00Z', 'UTC', '2026-11-19'],
    ['{fireDate-1day}', '2026-11-20T06:00:00Z', 'UTC', '2026-11-19'],
    ['{fireDate + 2 weeks}', '2026-11-20T06:00:00Z', 'UTC', '2026-12-04'],
    ['{fireDate - 1 month}', '2026-03-31T06:00:00Z', 'UTC', '2026-02-28'],
    ['{fireDate - 1 day}', '2026-01-01T00:30:00Z', 'UTC', '2025-12-31'],
    ['{fireTime}', '2026-11-20T06:07:00Z', 'UTC', '2026-11-20T06:07'],
    ['{fireTime - 1 hour | yyyyMMddHH}', '2026-11-20T00:10:00Z', 'UTC', '2026111923'],
    ['{fireDate | yyyyMMdd}-eod', '2026-11-20T06:00:00Z', 'UTC', '20261120-eod'],
    ['eu', '2026-11-20T06:00:00Z', 'UTC', 'eu'],
  ])('%s at %s (%s) is %s', (template, fire, zone, expected) => {
    expect(renderBatchTemplate(template, at(fire), zone)).toBe(expected);
  });

  it('takes the date in the time zone: 23:30 UTC is already tomorrow in Berlin and still today in New York', () => {
    expect(renderBatchTemplate('{fireDate}', at('2026-11-20T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11-21');
    expect(renderBatchTemplate('{fireDate}', at('2026-11-21T03:30:00Z'), 'America/New_York')).toBe('2026-11-20');
  });

  it('moves days by the calendar across a daylight-saving change, hours by the clock', () => {
    // Berlin springs forward on 2026-03-29 at 02:00 local: that day has 23 hours.
    expect(renderBatchTemplate('{fireDate - 1 day}', at('2026-03-30T04:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(renderBatchTemplate('{fireTime - 1 hour | HH}', at('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toBe('01');
    expect(renderBatchTemplate('{fireTime | HH}', at('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toBe('03');
  });
});

describe('parseBatchTemplate', () => {
  it.each([
    ['', 'must not be empty'],
    ['{yesterday}', 'is not a fire time expression'],
    ['{fireDate - 1 fortnight}', 'is not a fire time expression'],
    ['{fireDate', 'without its "}"'],
    ['fireDate}', 'without its "{"'],
    ['{fireDate}/x', 'never spans folders'],
    ['{fireDate | yyyy/MM}', 'has a "/"'],
    ['{fireDate | date}', 'none of the tokens'],
  ])('rejects %j, saying why', (template, message) => {
    expect(() => parseBatchTemplate(template)).toThrow(BatchTemplateError);
    expect(() => parseBatchTemplate(template)).toThrow(message);
  });
});

test('isTimeZone knows IANA names and refuses others', () => {
  expect(isTimeZone('Europe/Berlin')).toBe(true);
  expect(isTimeZone('UTC')).toBe(true);
  expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
});
