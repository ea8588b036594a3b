/** Alarms of batches of unknown size: a quiet-period batch has no window to pass, so no incomplete-batches alarm. */
import { alarmResources } from '../../../stack/alarms';
import { parseRegistry } from '../../../lib/registry/parse-registry';

const task = '{ container: c, image: repo/image:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }';
const registry = parseRegistry(`
pipelines:
  clicks:
    trigger: { files: { events: 'in/clicks/{date}/events-*.json' }, complete: { quietMinutes: 15 } }
    task: ${task}
  parts:
    trigger: { files: { part: 'in/parts/{date}/part-*.csv' }, complete: { marker: 'in/parts/{date}/_SUCCESS' }, windowMinutes: 90 }
    task: ${task}
`);

test('the marker pipeline has its incomplete- and stuck-batch alarms, the quiet one only the stuck-batch alarm', () => {
  const resources = alarmResources({
    stack: 's-dev',
    service: 's',
    stage: 'dev',
    registry,
    functions: [],
    deadLetterQueues: [],
    alarmSet: 'full',
  });
  const ids = Object.keys(resources).filter((id) => /Incomplete|Stuck/.test(id));
  expect(ids.filter((id) => id.includes('Incomplete'))).toHaveLength(1);
  expect(ids.filter((id) => id.includes('Stuck'))).toHaveLength(2);
  const incomplete = Object.values(resources).find((r) => JSON.stringify(r).includes('90-minute window'));
  expect(incomplete).toBeDefined();
  expect(JSON.stringify(resources)).not.toContain('undefined-minute');
});
