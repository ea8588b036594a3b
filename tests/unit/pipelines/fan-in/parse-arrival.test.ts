import { InvalidArrivalError, parseArrival } from '../../../../lib/pipelines/fan-in/parse-arrival';
import { arrival } from '../start/fakes';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('parseArrival', () => {
  test('reads a FileArrival with a unicode key', () => {
    const a = arrival({ file: 'orders', key: 'incoming/acme/orders-2026 11+20 ü.csv' });
    expect(parseArrival('1', b64(JSON.stringify(a)))).toEqual(a);
  });

  test('data that is not JSON names the sequence number and shows how it starts', () => {
    const error = (() => {
      try {
        parseArrival('4959', b64('Hello, this is a test.'));
      } catch (e) {
        return e;
      }
    })() as InvalidArrivalError;
    expect(error).toBeInstanceOf(InvalidArrivalError);
    expect(error.message).toMatch(/^Kinesis record 4959 is not a FileArrival: data is not JSON .*"Hello, this is a test\."/);
  });

  test('JSON that is not a FileArrival names the fields at fault', () => {
    expect(() => parseArrival('7', b64(JSON.stringify({ ...arrival({ file: 'orders' }), size: -1, extra: true })))).toThrow(
      /record 7 .*size.*|record 7 .*extra/s,
    );
    expect(() => parseArrival('8', b64('{"message": "test message", "username": "test"}'))).toThrow(
      /record 8 is not a FileArrival: .*pipeline/,
    );
  });
});
