/**
 * lib/shared/metrics.ts promises Powertools' EMF documents. The same script of calls runs
 * against both under the same environment and clock; every document and warning written, and
 * every error thrown, must be the same.
 */
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { logMetrics as powertoolsLogMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Metrics, logMetrics } from '../../../lib/shared/metrics';
import { pipelineMetrics } from '../../../lib/shared/pipeline-metrics';

interface Lib {
  Metrics: new (options?: Record<string, unknown>) => any;
  logMetrics: (
    metrics: any,
    options?: Record<string, unknown>,
  ) => { before?: (request: any) => unknown; after?: (request: any) => unknown; onError?: (request: any) => unknown };
}
const powertools: Lib = { Metrics: PowertoolsMetrics as never, logMetrics: powertoolsLogMetrics as never };
const own: Lib = { Metrics: Metrics as never, logMetrics: logMetrics as never };

/** Each step's outcome is recorded, a throw included, so one failing call does not hide the rest. */
function script(lib: Lib, record: (line: string) => void): void {
  const step = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      record(`throw ${(error as Error).name}: ${(error as Error).message}`);
    }
  };
  const metrics = new lib.Metrics({ namespace: process.env.NAMESPACE_OPTION, defaultDimensions: { stage: 'test' } });
  const fanIn = lib.logMetrics(metrics, { captureColdStartMetric: true });
  const plain = lib.logMetrics(metrics);
  const request = { event: {}, context: { functionName: 'fan-in' } };
  // First invocation: cold start, repeated and fractional values, a dimension, a unit mix-up.
  step(() => fanIn.before?.(request));
  step(() => metrics.addMetric('FilesAccepted', 'Count', 1));
  step(() => metrics.addMetric('FilesAccepted', 'Count', 2));
  step(() => metrics.addMetric('AverageProcessingSeconds', 'Seconds', 1.5));
  step(() => metrics.addMetric('FilesAccepted', 'Seconds', 1));
  step(() => metrics.addMetric('Bad', 'Parsecs', 1));
  step(() => metrics.addMetric('', 'Count', 1));
  step(() => metrics.addMetric('HighRes', 'Count', 1, 1));
  step(() => metrics.addDimension('QueueService', 'sample'));
  step(() => metrics.addDimension('QueueService', 'again'));
  step(() => metrics.addDimension('Empty', ' '));
  step(() => fanIn.after?.(request));
  // Second invocation: no cold start, nothing added (a warning), then per-pipeline documents.
  step(() => fanIn.before?.(request));
  step(() => fanIn.after?.(request));
  step(() => plain.before?.(request));
  const perPipeline = pipelineMetrics(metrics);
  step(() => perPipeline.count('orders', 'BatchesCompleted'));
  step(() => perPipeline.count('orders', 'BatchesCompleted', 2));
  step(() => perPipeline.runFailed('orders', 'out-of-memory'));
  step(() => perPipeline.value('orders', 'RunDuration', 'Seconds', 90));
  step(() => perPipeline.flush());
  step(() => plain.onError?.(request));
  // Limits: 100 metric names and 100 values of one name publish at once.
  for (let i = 0; i < 101; i += 1) step(() => metrics.addMetric(`M${i}`, 'Count', i));
  step(() => metrics.publishStoredMetrics());
  for (let i = 0; i < 101; i += 1) step(() => metrics.addMetric('Repeated', 'Count', i));
  step(() => metrics.publishStoredMetrics());
  // A metric named like a dimension cannot be written.
  step(() => metrics.addDimension('Clash', 'x'));
  step(() => metrics.addMetric('Clash', 'Count', 1));
  step(() => metrics.publishStoredMetrics());
  const strict = lib.logMetrics(metrics, { throwOnEmptyMetrics: true, defaultDimensions: { region: 'eu' } });
  step(() => strict.before?.(request));
  step(() => strict.after?.(request));
}

const ENVIRONMENTS: Array<[string, Record<string, string>]> = [
  [
    'a Lambda on-demand start',
    { POWERTOOLS_SERVICE_NAME: 'ecs-pipelines', NAMESPACE_OPTION: 'EcsPipelines', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
  ],
  [
    'namespace from the environment, function name for the cold start',
    { POWERTOOLS_METRICS_NAMESPACE: 'FromEnv', POWERTOOLS_METRICS_FUNCTION_NAME: 'named', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
  ],
  ['no namespace, provisioned concurrency', { AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' }],
  ['disabled', { NAMESPACE_OPTION: 'EcsPipelines', POWERTOOLS_METRICS_DISABLED: 'true', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' }],
  ['developer mode: off unless enabled, through the console', { NAMESPACE_OPTION: 'EcsPipelines', POWERTOOLS_DEV: 'true' }],
  ['developer mode with metrics enabled', { NAMESPACE_OPTION: 'EcsPipelines', POWERTOOLS_DEV: '1', POWERTOOLS_METRICS_DISABLED: 'no' }],
];

const VARIABLES = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_FUNCTION_NAME',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'NAMESPACE_OPTION',
];

function run(lib: Lib, env: Record<string, string>): string[] {
  const saved = { ...process.env };
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  const written: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(`stdout ${String(chunk)}`) > 0),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(`stderr ${String(chunk)}`) > 0),
    ...(['log', 'warn', 'error', 'info'] as const).map((method) =>
      jest
        .spyOn(console, method)
        .mockImplementation((...args: unknown[]) => void written.push(`console.${method} ${args.map(String).join(' ')}`)),
    ),
  ];
  try {
    script(lib, (line) => written.push(line));
  } finally {
    spies.forEach((spy) => spy.mockRestore());
    process.env = saved;
  }
  return written;
}

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-20T10:11:12.345Z') }));
afterEach(() => jest.useRealTimers());

describe('lib/shared/metrics writes what Powertools’ Metrics writes', () => {
  it.each(ENVIRONMENTS)('%s', (_name, env) => {
    const expected = run(powertools, env);
    const actual = run(own, env);
    expect(actual).toEqual(expected);
    expect(expected.length).toBeGreaterThan(5);
  });

  it('rejects an unreadable POWERTOOLS_METRICS_DISABLED naming it, as Powertools does', () => {
    const create = (lib: Lib) => () => {
      process.env.POWERTOOLS_METRICS_DISABLED = 'sometimes';
      try {
        new lib.Metrics({ namespace: 'x' });
      } finally {
        delete process.env.POWERTOOLS_METRICS_DISABLED;
      }
    };
    expect(create(powertools)).toThrow('Environment variable POWERTOOLS_METRICS_DISABLED must be a boolean');
    expect(create(own)).toThrow('Environment variable POWERTOOLS_METRICS_DISABLED must be a boolean');
  });
});
