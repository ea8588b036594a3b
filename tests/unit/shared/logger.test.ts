/**
 * lib/shared/logger.ts promises Powertools' log lines. The same script of calls runs against
 * both loggers under the same environment and the same clock; every line written (stream,
 * text, key order) must be the same.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext as powertoolsInjectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Logger, injectLambdaContext } from '../../../lib/shared/logger';

type AnyLogger = {
  info(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
  debug(...args: any[]): void;
  trace(...args: any[]): void;
  critical(...args: any[]): void;
  createChild(): AnyLogger;
  appendPersistentKeys(keys: Record<string, unknown>): void;
};
interface Lib {
  Logger: new (options?: { logRecordOrder?: string[] }) => AnyLogger;
  injectLambdaContext: (logger: any) => { before?: (request: any) => unknown };
}
const powertools: Lib = { Logger: PowertoolsLogger as never, injectLambdaContext: powertoolsInjectLambdaContext as never };
const own: Lib = { Logger: Logger as never, injectLambdaContext: injectLambdaContext as never };

const ORDER = ['level', 'message', 'pipeline', 'batchKey', 'objectKey', 'runKey', 'executionArn', 'taskArn'];
const context = (requestId: string) => ({
  functionName: 'fn',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
  awsRequestId: requestId,
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
});

class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly table = 'runs';
}
// One instance for both runs: its stack (and so `location`) is the same.
const failure = new StoreError('write failed', { cause: new Error('throttled') });
const circular: Record<string, unknown> = { id: 1 };
circular.self = circular;

/** The calls a handler makes over two invocations. */
function script(lib: Lib): void {
  const logger = new lib.Logger({ logRecordOrder: ORDER });
  const middleware = lib.injectLambdaContext(logger);
  logger.info('at load, before any invocation');
  middleware.before?.({ event: { Records: [] }, context: context('req-1') });
  logger.info('file accepted', {
    pipeline: 'orders',
    batchKey: '2026-11-20',
    nested: { list: [1, 'two'] },
    empty: '',
    nothing: null,
    missing: undefined,
    big: 10n,
  });
  logger.warn('reserved keys are dropped', { level: 'x', service: 'y', pipeline: 'orders' });
  logger.debug('below the level unless sampled');
  logger.trace('trace line');
  const child = logger.createChild();
  child.appendPersistentKeys({ pipeline: 'orders', batchKey: '2026-11-20', objectKey: 'in/a.csv' });
  child.info('arrival recorded: started', { runKey: 'orders#2026-11-20', executionArn: 'arn:x', outcome: { kind: 'started' } });
  logger.info('the parent keeps its own keys');
  logger.error('arrival record failed', { file: 'orders', error: failure });
  logger.error('an error as extra input', failure);
  logger.info('a string as extra input', 'extra text');
  logger.info({ message: 'object form', count: 2, timestamp: 'dropped' });
  logger.info('circular', { circular });
  logger.critical('critical line');
  middleware.before?.({ event: {}, context: context('req-2') });
  logger.info('second invocation');
  child.info('child after the second invocation');
  logger.createChild().info('a new child in the second invocation');
}

const ENVIRONMENTS: Array<[string, Record<string, string>]> = [
  [
    'a Lambda on-demand start at INFO',
    {
      POWERTOOLS_SERVICE_NAME: 'ecs-pipelines',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'us-east-1',
    },
  ],
  [
    'DEBUG, every invocation sampled, an X-Ray trace',
    {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_LOGGER_SAMPLE_RATE: '1',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1',
    },
  ],
  [
    'sampling at INFO',
    { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_SAMPLE_RATE: '1', AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' },
  ],
  [
    'Lambda advanced logging controls at WARN',
    { AWS_LAMBDA_LOG_LEVEL: 'WARN', POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' },
  ],
  ['LOG_LEVEL alias, no service name', { LOG_LEVEL: 'ERROR' }],
  ['SILENT', { POWERTOOLS_LOG_LEVEL: 'SILENT' }],
  ['a time zone other than UTC', { POWERTOOLS_LOG_LEVEL: 'INFO', TZ: 'Europe/Berlin' }],
  ['the event logged', { POWERTOOLS_LOGGER_LOG_EVENT: 'true' }],
  ['developer mode: indented, through the console', { POWERTOOLS_DEV: 'true', POWERTOOLS_LOG_LEVEL: 'DEBUG' }],
];

const VARIABLES = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'LOG_LEVEL',
  'AWS_LAMBDA_LOG_LEVEL',
  'POWERTOOLS_LOGGER_SAMPLE_RATE',
  'POWERTOOLS_LOGGER_LOG_EVENT',
  'POWERTOOLS_DEV',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  '_X_AMZN_TRACE_ID',
  'TZ',
];

/** Everything the script writes, in order, with where it went. */
function run(lib: Lib, env: Record<string, string>): string[] {
  const saved = { ...process.env };
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  const written: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(`stdout ${String(chunk)}`) > 0),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(`stderr ${String(chunk)}`) > 0),
    ...(['log', 'info', 'debug', 'warn', 'error', 'trace'] as const).map((method) =>
      jest
        .spyOn(console, method)
        .mockImplementation((...args: unknown[]) => void written.push(`console.${method} ${args.map(String).join(' ')}`)),
    ),
  ];
  const consoleTrace = console.trace;
  try {
    script(lib);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
    // Powertools' developer mode replaces console.trace; put it back for the next run.
    console.trace = consoleTrace;
    process.env = saved;
  }
  return written;
}

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-20T10:11:12.345Z') }));
afterEach(() => jest.useRealTimers());

describe('lib/shared/logger writes what Powertools’ Logger writes', () => {
  it.each(ENVIRONMENTS)('%s', (_name, env) => {
    const expected = run(powertools, env);
    const actual = run(own, env);
    expect(actual).toEqual(expected);
    // The script must have written something to compare, but not in every environment.
    if (env.POWERTOOLS_LOG_LEVEL !== 'SILENT') expect(expected.length).toBeGreaterThan(0);
  });

  it('rejects an unreadable POWERTOOLS_LOGGER_SAMPLE_RATE naming it, as Powertools does', () => {
    const create = (lib: Lib) => () => {
      process.env.POWERTOOLS_LOGGER_SAMPLE_RATE = 'often';
      try {
        new lib.Logger();
      } finally {
        delete process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
      }
    };
    expect(create(powertools)).toThrow('Environment variable POWERTOOLS_LOGGER_SAMPLE_RATE must be a number');
    expect(create(own)).toThrow('Environment variable POWERTOOLS_LOGGER_SAMPLE_RATE must be a number');
  });
});
