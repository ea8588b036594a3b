/** Manifest formats a batch of unknown size accepts, and what it refuses. */
import { InvalidManifestError, parseManifest } from '../../../../lib/pipelines/fan-in/manifest';

const where = 's3://uploads/in/2026-11-20/manifest.json';

test('{"files": [...]} lists keys (or s3:// URLs of the bucket), all waited for, sorted and without repeats', () => {
  const text = JSON.stringify({ files: ['in/2026-11-20/b.csv', 's3://uploads/in/2026-11-20/a.csv', 'in/2026-11-20/b.csv'] });
  expect(parseManifest(text, 'uploads', where)).toEqual({ required: ['in/2026-11-20/a.csv', 'in/2026-11-20/b.csv'], optional: [] });
});

test('a Redshift COPY manifest: mandatory entries (and entries without the flag) are waited for, mandatory false ones are not', () => {
  const text = JSON.stringify({
    entries: [
      { url: 's3://uploads/in/2026-11-20/a.csv', mandatory: true },
      { url: 's3://uploads/in/2026-11-20/b.csv' },
      { url: 's3://uploads/in/2026-11-20/c.csv', mandatory: false, meta: { content_length: 10 } },
    ],
  });
  expect(parseManifest(text, 'uploads', where)).toEqual({
    required: ['in/2026-11-20/a.csv', 'in/2026-11-20/b.csv'],
    optional: ['in/2026-11-20/c.csv'],
  });
});

test.each([
  ['not JSON', '{files', `manifest ${where} is not JSON`],
  ['another shape', '{"keys": []}', `manifest ${where} is neither {"files": ["key", ...]} nor {"entries"`],
  ['an empty list', '{"files": []}', `manifest ${where} lists no file the batch must wait for`],
  ['only optional entries', '{"entries": [{"url": "s3://uploads/a.csv", "mandatory": false}]}', 'lists no file the batch must wait for'],
  [
    'another bucket',
    '{"files": ["s3://elsewhere/a.csv"]}',
    `manifest ${where} lists s3://elsewhere/a.csv, outside the pipeline's bucket uploads`,
  ],
])('refused: %s', (_name, text, message) => {
  expect(() => parseManifest(text, 'uploads', where)).toThrow(InvalidManifestError);
  expect(() => parseManifest(text, 'uploads', where)).toThrow(message);
});
