import { decodeNotificationKey, KeyDecodingError } from '../../../../lib/pipelines/watcher';

describe('decodeNotificationKey (S3 notification keys)', () => {
  it.each([
    ['a plus is a space', 'reports/New+File.jpg', 'reports/New File.jpg'],
    ['%20 is a space too', 'Happy%20Face.jpg', 'Happy Face.jpg'],
    ['%2B is a literal plus', 'a%2Bb.csv', 'a+b.csv'],
    ['plus and %2B side by side', 'a+%2B+b.csv', 'a + b.csv'],
    ['%25 is a literal percent', '100%25-done.csv', '100%-done.csv'],
    ['%3A is a colon', '2026-11-20T09%3A30%3A00Z.csv', '2026-11-20T09:30:00Z.csv'],
    ['two-byte UTF-8', 'caf%C3%A9.csv', 'café.csv'],
    ['three-byte UTF-8', '%E6%97%A5%E6%9C%AC/%E3%83%87%E3%83%BC%E3%82%BF.csv', '日本/データ.csv'],
    ['four-byte UTF-8 (emoji)', 'x-%F0%9F%93%A6.csv', 'x-📦.csv'],
    ['slashes stay as they are', 'a/b/c.csv', 'a/b/c.csv'],
    ['a decoded %2B is not decoded again', '%252B.csv', '%2B.csv'],
  ])('%s: %s → %s', (_, encoded, decoded) => {
    expect(decodeNotificationKey(encoded)).toBe(decoded);
  });

  it.each([
    ['a lone percent', 'report-100%.csv'],
    ['a truncated escape', 'caf%C3%A.csv'],
    ['an invalid UTF-8 sequence', '%C3%28.csv'],
  ])('rejects %s with KeyDecodingError naming the key', (_, encoded) => {
    expect(() => decodeNotificationKey(encoded)).toThrow(KeyDecodingError);
    expect(() => decodeNotificationKey(encoded)).toThrow(encoded);
  });
});
