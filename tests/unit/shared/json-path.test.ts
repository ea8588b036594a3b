/** The JSONPath subset of batchKey: parsed at package time, read at run time. */
import { JsonPathError, parseJsonPath, readJsonPath } from '../../../lib/shared/json-path';

describe('parseJsonPath', () => {
  test('reads dot steps with dashes, quoted names and indices', () => {
    expect(parseJsonPath('$.detail.metadata.idempotency-key')).toEqual(['detail', 'metadata', 'idempotency-key']);
    expect(parseJsonPath("$['detail']['a b'][2].c")).toEqual(['detail', 'a b', 2, 'c']);
  });

  test('refuses what it does not support, saying where', () => {
    expect(() => parseJsonPath('detail.id')).toThrow(
      new JsonPathError('"detail.id" is not a JSONPath: it must start with $ (e.g. $.detail.id)'),
    );
    expect(() => parseJsonPath('$.detail..id')).toThrow(/at "\.\.id": use \.name, \['name'\] or \[index\] steps/);
    expect(() => parseJsonPath('$.items[*]')).toThrow(/at "\[\*\]"/);
    expect(() => parseJsonPath('$')).toThrow(/selects the whole document/);
  });
});

describe('readJsonPath', () => {
  const document = { detail: { metadata: { 'idempotency-key': 'k1' }, items: [{ id: 7 }] } };
  test('finds values, and undefined where a step is missing', () => {
    expect(readJsonPath(document, parseJsonPath('$.detail.metadata.idempotency-key'))).toBe('k1');
    expect(readJsonPath(document, parseJsonPath('$.detail.items[0].id'))).toBe(7);
    expect(readJsonPath(document, parseJsonPath('$.detail.items[3].id'))).toBeUndefined();
    expect(readJsonPath(document, parseJsonPath('$.detail.nothing.here'))).toBeUndefined();
    expect(readJsonPath('text', parseJsonPath('$.length'))).toBeUndefined();
  });
});
