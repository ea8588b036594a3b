/**
 * CloudWatch metrics in the embedded metric format (EMF), written as Powertools for AWS
 * Lambda's Metrics writes them (same documents, dimensions, warnings, limits, environment
 * variables), for the part of its API this project uses, at a fraction of its cold start
 * (bench/RESULTS.md). tests/unit/shared/metrics.test.ts holds it to Powertools' output.
 *
 * Environment: POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME (the `service`
 * dimension), POWERTOOLS_METRICS_FUNCTION_NAME, POWERTOOLS_METRICS_DISABLED (default: off,
 * or on with POWERTOOLS_DEV), POWERTOOLS_DEV. One invocation at a time per process.
 */
import { coldStartTracker, envBoolean, isDevMode, type ColdStart } from './lambda-env';

export const MetricUnit = {
  Seconds: 'Seconds',
  Microseconds: 'Microseconds',
  Milliseconds: 'Milliseconds',
  Bytes: 'Bytes',
  Kilobytes: 'Kilobytes',
  Megabytes: 'Megabytes',
  Gigabytes: 'Gigabytes',
  Terabytes: 'Terabytes',
  Bits: 'Bits',
  Kilobits: 'Kilobits',
  Megabits: 'Megabits',
  Gigabits: 'Gigabits',
  Terabits: 'Terabits',
  Percent: 'Percent',
  Count: 'Count',
  BytesPerSecond: 'Bytes/Second',
  KilobytesPerSecond: 'Kilobytes/Second',
  MegabytesPerSecond: 'Megabytes/Second',
  GigabytesPerSecond: 'Gigabytes/Second',
  TerabytesPerSecond: 'Terabytes/Second',
  BitsPerSecond: 'Bits/Second',
  KilobitsPerSecond: 'Kilobits/Second',
  MegabitsPerSecond: 'Megabits/Second',
  GigabitsPerSecond: 'Gigabits/Second',
  TerabitsPerSecond: 'Terabits/Second',
  CountPerSecond: 'Count/Second',
  NoUnit: 'None',
} as const;
export type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

export const MetricResolution = { Standard: 60, High: 1 } as const;
type Resolution = (typeof MetricResolution)[keyof typeof MetricResolution];

const UNITS: readonly string[] = Object.values(MetricUnit);
const RESOLUTIONS: readonly number[] = Object.values(MetricResolution);
const MAX_METRICS = 100;
const MAX_VALUES = 100;
const MAX_DIMENSIONS = 29;
const DEFAULT_NAMESPACE = 'default_namespace';

interface StoredMetric {
  name: string;
  unit: MetricUnitValue;
  value: number | number[];
  resolution: Resolution;
}

/** Where warnings go: the console Powertools would use. */
interface WarnSink {
  warn(message: string): void;
}

export interface MetricsOptions {
  namespace?: string;
  serviceName?: string;
  defaultDimensions?: Record<string, string>;
  functionName?: string;
  /** Publish at every addMetric (what singleMetric() returns). */
  singleMetric?: boolean;
  /** @internal the parent's warning sink, for single metrics. */
  logger?: WarnSink;
}

const emptyText = (value: unknown): boolean => typeof value !== 'string' || value.trim().length === 0;

export class Metrics {
  readonly #coldStart: ColdStart = coldStartTracker();
  readonly #dev = isDevMode();
  readonly #disabled: boolean;
  readonly #namespace: string;
  readonly #single: boolean;
  readonly #warnings: WarnSink;
  #functionName: string | undefined;
  #defaultDimensions: Record<string, string> = {};
  #dimensions: Record<string, string> = {};
  #metrics: Record<string, StoredMetric> = {};
  #throwOnEmpty = false;

  constructor(options: MetricsOptions = {}) {
    const envNamespace = process.env.POWERTOOLS_METRICS_NAMESPACE?.trim() ?? '';
    const envFunctionName = process.env.POWERTOOLS_METRICS_FUNCTION_NAME?.trim() ?? '';
    const envService = process.env.POWERTOOLS_SERVICE_NAME?.trim() ?? '';
    const disabled = envBoolean('POWERTOOLS_METRICS_DISABLED', false, true);
    this.#warnings = options.logger ?? { warn: (message) => this.#write('warn', message) };
    this.#disabled = process.env.POWERTOOLS_METRICS_DISABLED !== undefined ? disabled : this.#dev;
    this.#namespace = options.namespace || envNamespace;
    const service = options.serviceName || envService || 'service_undefined';
    this.setDefaultDimensions(options.defaultDimensions ? { service, ...options.defaultDimensions } : { service });
    const functionName = options.functionName?.trim() ?? envFunctionName;
    if (functionName && functionName.length > 0) this.#functionName = functionName;
    this.#single = options.singleMetric ?? false;
  }

  addMetric(name: string, unit: MetricUnitValue, value: number, resolution: Resolution = MetricResolution.Standard): this {
    this.#store(name, unit, value, resolution);
    if (this.#single) this.publishStoredMetrics();
    return this;
  }

  addDimension(name: string, value: string): this {
    if (emptyText(name) || emptyText(value)) {
      this.#warnings.warn(
        `The dimension ${name} doesn't meet the requirements and won't be added. Ensure the dimension name and value are non empty strings`,
      );
      return this;
    }
    if (new Set([...Object.keys(this.#defaultDimensions), ...Object.keys(this.#dimensions), name]).size > MAX_DIMENSIONS) {
      throw new RangeError(`The number of metric dimensions must be lower than ${MAX_DIMENSIONS}`);
    }
    if (Object.hasOwn(this.#dimensions, name) || Object.hasOwn(this.#defaultDimensions, name)) {
      this.#warnings.warn(`Dimension "${name}" has already been added. The previous value will be overwritten.`);
    }
    this.#dimensions[name] = value;
    return this;
  }

  setDefaultDimensions(dimensions: Record<string, string>): this {
    const added: Record<string, string> = {};
    for (const [key, value] of Object.entries(dimensions)) {
      if (emptyText(key) || emptyText(value)) {
        this.#warnings.warn(
          `The dimension ${key} doesn't meet the requirements and won't be added. Ensure the dimension name and value are non empty strings`,
        );
        continue;
      }
      if (Object.hasOwn(this.#dimensions, key) || Object.hasOwn(this.#defaultDimensions, key) || Object.hasOwn(added, key)) {
        this.#warnings.warn(`Dimension "${key}" has already been added. The previous value will be overwritten.`);
      }
      added[key] = value;
    }
    const defaults = [...Object.keys(this.#defaultDimensions), ...Object.keys(added)];
    const current = Object.keys(this.#dimensions);
    if (new Set(current.length > 0 ? [...defaults, ...current] : defaults).size > MAX_DIMENSIONS) {
      throw new RangeError(`The number of metric dimensions must be lower than ${MAX_DIMENSIONS}`);
    }
    this.#defaultDimensions = { ...this.#defaultDimensions, ...added };
    return this;
  }

  setThrowOnEmptyMetrics(enabled: boolean): this {
    this.#throwOnEmpty = enabled;
    return this;
  }

  /** A metrics instance with these default dimensions that publishes at every addMetric. */
  singleMetric(): Metrics {
    return new Metrics({
      namespace: this.#namespace,
      defaultDimensions: { ...this.#defaultDimensions },
      singleMetric: true,
      logger: this.#warnings,
    });
  }

  /** The ColdStart metric (dimension function_name), once per execution environment. */
  captureColdStartMetric(functionName?: string): void {
    if (!this.#coldStart.take()) return;
    const single = this.singleMetric();
    const value = this.#functionName?.trim() ?? functionName?.trim();
    if (value && value.length > 0) single.addDimension('function_name', value);
    single.addMetric('ColdStart', MetricUnit.Count, 1);
  }

  /** Writes one EMF document of what was added since the last publish (nothing when none, with a warning). */
  publishStoredMetrics(): this {
    const hasMetrics = Object.keys(this.#metrics).length > 0;
    if (!this.#throwOnEmpty && !hasMetrics) {
      this.#warnings.warn(
        'No application metrics to publish. The cold-start metric may be published if enabled. If application metrics should never be empty, consider using `throwOnEmptyMetrics`',
      );
    }
    try {
      if (!this.#disabled) {
        const document = this.#serialize();
        if (hasMetrics) this.#write('log', JSON.stringify(document));
      }
    } finally {
      this.#metrics = {};
      this.#dimensions = {};
    }
    return this;
  }

  #store(name: string, unit: MetricUnitValue, value: number, resolution: Resolution): void {
    if (typeof name !== 'string') throw new Error(`${String(name)} is not a valid string`);
    if (name.length < 1 || name.length > 255) throw new RangeError('The metric name should be between 1 and 255 characters');
    if (typeof value !== 'number') throw new RangeError(`${String(value)} is not a valid number`);
    if (!UNITS.includes(unit)) throw new RangeError(`Invalid metric unit '${unit}', expected either option: ${UNITS.join(',')}`);
    if (!RESOLUTIONS.includes(resolution))
      throw new RangeError(`Invalid metric resolution '${resolution}', expected either option: ${RESOLUTIONS.join(',')}`);
    if (Object.keys(this.#metrics).length >= MAX_METRICS) this.publishStoredMetrics();
    const existing = this.#metrics[name];
    if (existing === undefined) {
      this.#metrics[name] = { name, unit, value, resolution };
      return;
    }
    if (existing.unit !== unit) {
      throw new Error(
        `Metric "${name}" has already been added with unit "${existing.unit}", but we received unit "${unit}". Did you mean to use metric unit "${existing.unit}"?`,
      );
    }
    if (!Array.isArray(existing.value)) existing.value = [existing.value];
    existing.value.push(value);
    if (existing.value.length === MAX_VALUES) this.publishStoredMetrics();
  }

  #serialize(): Record<string, unknown> {
    const stored = Object.values(this.#metrics);
    const definitions = stored.map((m) => ({
      Name: m.name,
      Unit: m.unit,
      ...(m.resolution === MetricResolution.High ? { StorageResolution: m.resolution } : {}),
    }));
    if (definitions.length === 0 && this.#throwOnEmpty) throw new RangeError('The number of metrics recorded must be higher than zero');
    if (!this.#namespace) this.#warnings.warn('Namespace should be defined, default used');
    const values: Record<string, number | number[]> = {};
    for (const m of stored) values[m.name] = m.value;
    const defaults = this.#defaultDimensions;
    const dimensions = this.#dimensions;
    const names: string[][] = [];
    if (Object.keys(dimensions).length > 0) names.push([...new Set([...Object.keys(defaults), ...Object.keys(dimensions)])]);
    if (names.length === 0 && Object.keys(defaults).length > 0) names.push(Object.keys(defaults));
    const seen = new Map<string, string>();
    const see = (key: string, source: string): void => {
      const before = seen.get(key);
      if (before !== undefined)
        this.#warnings.warn(
          `EMF key "${key}" is defined as both a ${before} and ${source}; the ${source} value will take precedence in the serialized output`,
        );
      seen.set(key, source);
    };
    for (const key of Object.keys(defaults)) see(key, 'default dimension');
    for (const key of Object.keys(dimensions)) see(key, 'dimension');
    for (const name of Object.keys(values)) {
      const source = seen.get(name);
      if (source !== undefined)
        throw new Error(`EMF key collision on "${name}": registered as both a metric (number) and a ${source} (string)`);
    }
    return {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: this.#namespace || DEFAULT_NAMESPACE, Dimensions: names, Metrics: definitions }],
      },
      ...defaults,
      ...dimensions,
      ...values,
    };
  }

  /** Node's Console: log to stdout, warn to stderr (through the global console under POWERTOOLS_DEV). */
  #write(method: 'log' | 'warn', line: string): void {
    if (this.#dev) console[method](line);
    else (method === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

export interface LogMetricsOptions {
  captureColdStartMetric?: boolean;
  throwOnEmptyMetrics?: boolean;
  defaultDimensions?: Record<string, string>;
}

/** Middy middleware: the cold start metric if asked for, and one EMF document at the end of every invocation. */
export function logMetrics(
  metrics: Metrics,
  options: LogMetricsOptions = {},
): { before: (request: { context: { functionName?: string } }) => void; after: () => void; onError: () => void } {
  const publish = (): void => void metrics.publishStoredMetrics();
  return {
    before(request) {
      if (options.throwOnEmptyMetrics) metrics.setThrowOnEmptyMetrics(options.throwOnEmptyMetrics);
      if (options.defaultDimensions !== undefined) metrics.setDefaultDimensions(options.defaultDimensions);
      if (options.captureColdStartMetric) metrics.captureColdStartMetric(request.context.functionName);
    },
    after: publish,
    onError: publish,
  };
}
