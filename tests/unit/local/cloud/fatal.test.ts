/** A fatal error of the local cloud names what it loses and LOCAL_CLOUD_PERSIST; one failed request does not stop it. */
import { EventEmitter } from 'node:events';
import { installFatalHandlers } from '../../../../local/cloud/fatal';
import type { LocalCloud } from '../../../../local/cloud/start';

function fakeCloud() {
  const stopped: string[] = [];
  const cloud = {
    resources: {
      tables: { RunsTable: 'r', BatchesTable: 'b' },
      streams: { FileArrivalStream: 's' },
      buckets: { UploadsBucket: 'u' },
      queues: { A: {}, B: {}, C: {} },
      secrets: {},
    },
    stepFunctions: { sfn: { listExecutions: () => [{ status: 'RUNNING' }, { status: 'FAILED' }] } },
    monitoring: { notices: () => [{}, {}] },
    stop: async () => void stopped.push('stopped'),
  } as unknown as Pick<LocalCloud, 'resources' | 'stepFunctions' | 'monitoring' | 'stop'>;
  return { cloud, stopped };
}

test('an uncaught exception is logged with its stack and what the in-memory cloud loses, then the cloud stops and the process exits 1', async () => {
  // Prepare
  const { cloud, stopped } = fakeCloud();
  const events = new EventEmitter();
  const logged: string[] = [];
  const exited = new Promise<number>((resolve) => installFatalHandlers(cloud, { log: (t) => logged.push(t), exit: resolve, events }));
  // Act
  events.emit('uncaughtException', new Error('ENAMETOOLONG: name too long, open …'));
  // Assess
  expect(await exited).toBe(1);
  expect(stopped).toEqual(['stopped']);
  const text = logged.join('\n');
  expect(text).toContain('ENAMETOOLONG: name too long');
  expect(text).toContain('2 execution(s) and their history (1 still running)');
  expect(text).toContain('the 2 table(s), 1 stream(s) and 1 bucket(s) with everything in them');
  expect(text).toContain('3 queue(s) and their messages');
  expect(text).toContain('start with LOCAL_CLOUD_PERSIST=<folder> to keep S3, Kinesis and DynamoDB data across restarts');
});

test('with LOCAL_CLOUD_PERSIST the message says where the data is kept', async () => {
  const { cloud } = fakeCloud();
  const events = new EventEmitter();
  const logged: string[] = [];
  const exited = new Promise<number>((resolve) =>
    installFatalHandlers(cloud, { persistDir: '/data/cloud', log: (t) => logged.push(t), exit: resolve, events }),
  );
  events.emit('uncaughtException', new Error('boom'));
  await exited;
  expect(logged.join('\n')).toContain('S3, Kinesis and DynamoDB data are kept in /data/cloud (LOCAL_CLOUD_PERSIST)');
  expect(logged.join('\n')).not.toContain('table(s)');
});

test('a rejection nobody awaited is one failed request: logged, and the cloud keeps running', () => {
  const { cloud, stopped } = fakeCloud();
  const events = new EventEmitter();
  const logged: string[] = [];
  const exit = jest.fn();
  const handlers = installFatalHandlers(cloud, { log: (t) => logged.push(t), exit, events });
  events.emit('unhandledRejection', new TypeError('cannot read properties of undefined'));
  handlers.uninstall();
  expect(logged).toEqual([
    'local cloud: a request failed and nothing awaited it (TypeError: cannot read properties of undefined); the cloud keeps running',
  ]);
  expect(exit).not.toHaveBeenCalled();
  expect(stopped).toEqual([]);
  expect(events.listenerCount('uncaughtException')).toBe(0);
});
