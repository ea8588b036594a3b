/**
 * trigger.complete: batches of unknown size. Each rule parses; a bad one fails at package time
 * naming the pipeline and the field.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { indexRegistry } from '../../../lib/registry/registry';
import { registryProblems } from '../../helpers/registry';

const pipeline = (trigger: string) => `
pipelines:
  acme-parts:
    trigger:
${trigger
  .trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
    task: { container: c, image: repo/image:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }
`;

describe('accepted rules', () => {
  test.each([
    ['manifest', "complete: { manifest: 'incoming/acme/{date}/manifest.json' }\nwindowMinutes: 60", { kind: 'manifest' }],
    ['marker', "complete: { marker: 'incoming/acme/{date}/_SUCCESS' }\nwindowMinutes: 60", { kind: 'marker' }],
    ['quietMinutes', 'complete: { quietMinutes: 15 }', { kind: 'quiet', minutes: 15 }],
  ])('%s', (_name, complete, rule) => {
    // Act
    const index = indexRegistry(parseRegistry(pipeline(`files:\n  part: 'incoming/acme/{date}/part-*.csv'\n${complete}`)));

    // Assess
    expect(index.completion('acme-parts')).toMatchObject(rule);
    expect(index.match(undefined, 'incoming/acme/2026-11-20/part-0001.csv')).toEqual({
      pipeline: 'acme-parts',
      file: 'part',
      batchKey: '2026-11-20',
      captures: { date: '2026-11-20' },
    });
  });

  test('the manifest and the marker are matched with their role and the batch key', () => {
    const manifest = indexRegistry(
      parseRegistry(
        pipeline(
          "files: { part: 'incoming/acme/{date}/part-*.csv' }\ncomplete: { manifest: 'incoming/acme/{date}/manifest.json' }\nwindowMinutes: 60",
        ),
      ),
    );
    expect(manifest.match(undefined, 'incoming/acme/2026-11-20/manifest.json')).toMatchObject({
      role: 'manifest',
      batchKey: '2026-11-20',
    });
    expect(manifest.match(undefined, 'incoming/acme/2026-11-20/part-1/x.csv')).toBeUndefined(); // * stays in its folder
  });

  test('a pipeline without complete still completes by its named files', () => {
    const index = indexRegistry(parseRegistry(pipeline("files: { a: 'in/a-{date}.csv' }\nwindowMinutes: 60")));
    expect(index.completion('acme-parts')).toEqual({ kind: 'files' });
  });
});

describe('rejected, naming pipeline and field', () => {
  test.each([
    [
      'two rules',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { marker: 'in/{date}/_SUCCESS', quietMinutes: 5 }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.complete: takes exactly one rule: manifest, marker or quietMinutes (got marker and quietMinutes)',
    ],
    [
      'no rule',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: {}\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.complete: takes exactly one rule: manifest, marker or quietMinutes (got none)',
    ],
    [
      'a manifest without the batch key',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { manifest: 'in/manifest.json' }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.complete.manifest: "in/manifest.json" has captures {} but the files have {date}: the manifest must carry the same batch key',
    ],
    [
      'a marker with another capture',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { marker: 'in/{day}/_SUCCESS' }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.complete.marker: "in/{day}/_SUCCESS" has captures {day} but the files have {date}: the marker must carry the same batch key',
    ],
    [
      'files outside the marker folder',
      "files: { part: 'in/parts/{date}-*.csv' }\ncomplete: { marker: 'in/{date}/_SUCCESS' }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.files.part: "in/parts/{date}-*.csv" is not directly in the marker\'s folder "in/{date}/": the marker\'s batch is the files listed in its folder',
    ],
    [
      'a quiet period of a fraction',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { quietMinutes: 1.5 }",
      'pipeline "acme-parts", field trigger.complete.quietMinutes: quietMinutes is a whole number of minutes',
    ],
    [
      'a quiet period of zero',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { quietMinutes: 0 }",
      'pipeline "acme-parts", field trigger.complete.quietMinutes: quietMinutes must be at least 1',
    ],
    [
      'a window beside a quiet period',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { quietMinutes: 10 }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.windowMinutes: does not apply with complete.quietMinutes: the quiet period closes the batch; remove windowMinutes',
    ],
    [
      'no window and no quiet period',
      "files: { part: 'in/a-{date}.csv' }",
      'pipeline "acme-parts", field trigger.windowMinutes: a files trigger needs windowMinutes (how long a batch may wait for its files), or complete.quietMinutes',
    ],
    [
      'a * without a rule',
      "files: { part: 'in/{date}/p-*.csv' }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.files.part: a * pattern matches many files of a batch: it needs a completion rule (trigger.complete: manifest, marker or quietMinutes)',
    ],
    [
      'a * in the marker',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { marker: 'in/{date}/*.done' }\nwindowMinutes: 60",
      'pipeline "acme-parts", field trigger.complete.marker: "in/{date}/*.done" names one object per batch: use captures, not *',
    ],
    [
      'rerunOnReupload with a rule',
      "files: { part: 'in/{date}/p-*.csv' }\ncomplete: { quietMinutes: 5 }\nrerunOnReupload: true",
      'pipeline "acme-parts", field trigger.rerunOnReupload: applies to batches of named files; a batch with a completion rule runs once',
    ],
    [
      'a capture beside a *',
      "files: { part: 'in/{date}*.csv' }\ncomplete: { quietMinutes: 5 }",
      'pipeline "acme-parts", field trigger.files.part: pattern "in/{date}*.csv" puts two captures (or a capture and a *) side by side; separate them with a literal',
    ],
  ])('%s', (_name, trigger, problem) => {
    expect(registryProblems(pipeline(trigger))).toContain(problem);
  });

  test('a manifest key that a file pattern also matches', () => {
    expect(
      registryProblems(
        pipeline("files: { part: 'in/{date}/*.json' }\ncomplete: { manifest: 'in/{date}/manifest.json' }\nwindowMinutes: 60"),
      ),
    ).toEqual([
      'pipeline "acme-parts", field trigger.complete: patterns "in/{date}/*.json" (part) and "in/{date}/manifest.json" (complete.manifest) can match the same key; every key must belong to one file of one pipeline',
    ]);
  });
});
