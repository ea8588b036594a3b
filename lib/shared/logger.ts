/**
 * Structured JSON logs as Powertools for AWS Lambda's Logger writes them (same keys, order,
 * levels, sampling, error shape, environment variables), for the part of its API this project
 * uses, at a fraction of its cold start (bench/RESULTS.md). tests/unit/shared/logger.test.ts
 * holds it to Powertools' output line for line.
 *
 * Environment: POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL (or LOG_LEVEL), AWS_LAMBDA_LOG_LEVEL
 * (Lambda's advanced logging controls: a floor no setting goes below),
 * POWERTOOLS_LOGGER_SAMPLE_RATE (share of invocations logged at DEBUG),
 * POWERTOOLS_LOGGER_LOG_EVENT, POWERTOOLS_DEV (indented, through the global console), TZ.
 * One invocation at a time per process, as Lambda runs functions by default.
 */
import { randomInt } from 'node:crypto';
import { coldStartTracker, envBoolean, isDevMode, type ColdStart } from './lambda-env';

const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
export type LogLevel = keyof typeof LEVELS;
const RESERVED_KEYS = ['level', 'message', 'sampling_rate', 'service', 'timestamp'];

export type LogAttributes = Record<string, unknown>;

/** The Lambda context fields a log line carries. */
export interface LambdaContextLike {
  functionName?: string;
  invokedFunctionArn?: string;
  awsRequestId?: string;
  memoryLimitInMB?: string | number;
  functionVersion?: string;
  tenantId?: string;
}

export interface LoggerOptions {
  /** Keys first in every line, in this order (the rest follow in the order they were added). */
  logRecordOrder?: string[];
  logLevel?: string;
  serviceName?: string;
  sampleRateValue?: number;
  persistentKeys?: LogAttributes;
}

interface StoredContext {
  invokedFunctionArn: string | undefined;
  coldStart: boolean;
  awsRequestId: string | undefined;
  memoryLimitInMB: string | number | undefined;
  functionName: string | undefined;
  functionVersion: string | undefined;
  tenantId: string | undefined;
}

const isLevel = (value: unknown): value is LogLevel => typeof value === 'string' && value in LEVELS;
const levelName = (threshold: number): LogLevel => (Object.keys(LEVELS) as LogLevel[]).find((name) => LEVELS[name] === threshold)!;
const envString = (key: string): string => process.env[key]?.trim() ?? '';

function envNumber(key: string): number {
  const value = Number(envString(key) || '0');
  if (Number.isNaN(value)) throw new TypeError(`Environment variable ${key} must be a number`);
  return value;
}

function xRayTraceId(): string | undefined {
  const raw =
    (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } }).awslambda?.InvokeStore?.getXRayTraceId() ??
    envString('_X_AMZN_TRACE_ID');
  if (raw === '') return undefined;
  if (!raw.includes('=')) return raw;
  const fields: Record<string, string | undefined> = {};
  for (const field of raw.split(';')) {
    const [key, value] = field.split('=');
    fields[key!] = value;
  }
  return fields.Root;
}

/** Powertools' timestamp: ISO in UTC, or with the offset of a TZ other than UTC. */
function timestamp(now: Date): string {
  const zone = envString('TZ');
  if (!zone || zone.includes('UTC')) return now.toISOString();
  let resolved = zone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    resolved = 'UTC';
  }
  const two = '2-digit' as const;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en', {
      hourCycle: 'h23',
      year: 'numeric',
      month: two,
      day: two,
      hour: two,
      minute: two,
      second: two,
      timeZone: resolved,
    })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  const offset = resolved === zone ? -now.getTimezoneOffset() : 0;
  const sign = offset >= 0 ? '+' : '-';
  const hours = Math.abs(Math.floor(offset / 60))
    .toString()
    .padStart(2, '0');
  const minutes = Math.abs(offset % 60)
    .toString()
    .padStart(2, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${now.getMilliseconds().toString().padStart(3, '0')}${sign}${hours}:${minutes}`;
}

function codeLocation(stack: string | undefined): string {
  if (!stack) return '';
  for (const line of stack.split('\n')) {
    const match = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/.exec(line);
    if (match) return `${match[1]}:${Number(match[2])}`;
  }
  return '';
}

function formatError(error: Error): LogAttributes {
  const { name, message, stack, cause } = error;
  const own = Object.fromEntries(Object.entries(error)) as LogAttributes;
  const formatted: LogAttributes = {
    name,
    location: codeLocation(stack),
    message,
    stack: isDevMode() && typeof stack === 'string' ? stack.split('\n') : stack,
    cause: cause instanceof Error ? formatError(cause) : cause,
  };
  for (const key in error) {
    if (!['name', 'message', 'stack', 'cause'].includes(key)) formatted[key] = own[key];
  }
  return formatted;
}

/** Errors as objects, bigints as text, and a value inside itself left out (a circular reference). */
function jsonReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown) {
    let replaced = value;
    if (replaced instanceof Error) replaced = formatError(replaced);
    if (typeof replaced === 'bigint') return replaced.toString();
    if (typeof replaced === 'object' && replaced !== null) {
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(replaced)) return undefined;
      ancestors.push(replaced);
    }
    return replaced;
  };
}

export class Logger {
  readonly #order: string[] | undefined;
  readonly #serviceName: string;
  readonly #coldStart: ColdStart = coldStartTracker();
  /** POWERTOOLS_DEV at construction: indented lines through the global console. */
  readonly #dev = isDevMode();
  #persistent: LogAttributes = {};
  #temporary: LogAttributes = {};
  #context: StoredContext | undefined;
  #level: number = LEVELS.INFO;
  #initialLevel: number = LEVELS.INFO;
  #alcLevel: LogLevel | undefined;
  #sampleRate = 0;
  #refreshedTimes = 0;
  #initialized = false;
  #pending: Array<[number, string | LogAttributes, unknown[]]> = [];
  #warnedOnce = new Set<string>();

  constructor(options: LoggerOptions = {}) {
    this.#order = options.logRecordOrder;
    this.#serviceName = options.serviceName || envString('POWERTOOLS_SERVICE_NAME') || 'service_undefined';
    if (options.persistentKeys) this.appendPersistentKeys(options.persistentKeys);
    const alc = envString('AWS_LAMBDA_LOG_LEVEL');
    const alcLevel = alc === 'FATAL' ? 'CRITICAL' : alc;
    if (isLevel(alcLevel)) this.#alcLevel = alcLevel;
    this.#setInitialLevel(options.logLevel);
    this.#setInitialSampleRate(options.sampleRateValue);
    this.#initialized = true;
    for (const [level, input, extra] of this.#pending) this.#print(level, input, extra);
    this.#pending = [];
  }

  trace(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.TRACE, input, extra);
  }

  debug(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.DEBUG, input, extra);
  }

  info(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.INFO, input, extra);
  }

  warn(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.WARN, input, extra);
  }

  error(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.ERROR, input, extra);
  }

  critical(input: string | LogAttributes, ...extra: unknown[]): void {
    this.#log(LEVELS.CRITICAL, input, extra);
  }

  getLevelName(): LogLevel {
    return levelName(this.#level);
  }

  setLogLevel(level: string): void {
    if (this.#alcShortCircuit(level)) return;
    if (!isLevel(level)) throw new Error(`Invalid log level: ${level}`);
    this.#level = LEVELS[level];
  }

  /** Keys on every line from now on (this logger and children created after). */
  appendPersistentKeys(attributes: LogAttributes): void {
    for (const [key, value] of Object.entries(this.#withoutReserved(attributes))) {
      if (value !== undefined || this.#persistent[key] === undefined) this.#persistent[key] = value;
    }
  }

  /** Keys on every line until resetKeys (the end of the invocation, when asked for). */
  appendKeys(attributes: LogAttributes): void {
    Object.assign(this.#temporary, this.#withoutReserved(attributes));
  }

  resetKeys(): void {
    this.#temporary = {};
  }

  /** A logger with this one's level, service, sampling, context and keys; its own keys stay its own. */
  createChild(options: LoggerOptions = {}): Logger {
    const child = new Logger({
      logRecordOrder: this.#order,
      logLevel: this.getLevelName(),
      serviceName: this.#serviceName,
      sampleRateValue: this.#sampleRate,
      persistentKeys: { ...this.#persistent },
      ...options,
    });
    if (this.#context) child.addContext(this.#context);
    if (Object.keys(this.#temporary).length > 0) child.appendKeys({ ...this.#temporary });
    return child;
  }

  addContext(context: LambdaContextLike): void {
    this.#context = {
      invokedFunctionArn: context.invokedFunctionArn,
      coldStart: this.#coldStart.take(),
      awsRequestId: context.awsRequestId,
      memoryLimitInMB: context.memoryLimitInMB,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      tenantId: context.tenantId,
    };
  }

  /** Re-rolls the debug sampling for a new invocation (not for the first: the constructor rolled). */
  refreshSampleRateCalculation(): void {
    if (this.#refreshedTimes === 0) {
      this.#refreshedTimes += 1;
      return;
    }
    if (this.#shouldSample() && this.#level > LEVELS.TRACE) {
      this.setLogLevel('DEBUG');
      this.debug('Setting log level to DEBUG due to sampling rate');
    } else {
      this.setLogLevel(levelName(this.#initialLevel));
    }
  }

  #setInitialLevel(option: string | undefined): void {
    const constructorLevel = option?.toUpperCase();
    if (this.#alcShortCircuit(constructorLevel)) {
      this.#initialLevel = this.#level;
      return;
    }
    const chosen = isLevel(constructorLevel) ? constructorLevel : envString('POWERTOOLS_LOG_LEVEL') || envString('LOG_LEVEL');
    if (isLevel(chosen)) this.#level = LEVELS[chosen];
    this.#initialLevel = this.#level;
  }

  #setInitialSampleRate(option: number | undefined): void {
    for (const value of [option, envNumber('POWERTOOLS_LOGGER_SAMPLE_RATE')]) {
      if (typeof value === 'number' && value >= 0 && value <= 1) {
        this.#sampleRate = value;
        if (this.#shouldSample() && this.#level > LEVELS.TRACE) {
          this.setLogLevel('DEBUG');
          this.debug('Setting log level to DEBUG due to sampling rate');
        }
        return;
      }
    }
  }

  #shouldSample(): boolean {
    return Boolean(this.#sampleRate) && randomInt(0, 100) / 100 <= this.#sampleRate;
  }

  /** Lambda's advanced logging controls set the level; a more verbose choice is warned about once. */
  #alcShortCircuit(selected: string | undefined): boolean {
    if (this.#alcLevel === undefined) return false;
    this.#level = LEVELS[this.#alcLevel];
    if (isLevel(selected) && this.#level > LEVELS[selected]) {
      const message = `Current log level (${selected}) does not match AWS Lambda Advanced Logging Controls minimum log level (${this.#alcLevel}). This can lead to data loss, consider adjusting them.`;
      if (!this.#warnedOnce.has(message)) {
        this.#warnedOnce.add(message);
        this.warn(message);
      }
    }
    return true;
  }

  #withoutReserved(attributes: LogAttributes): LogAttributes {
    const kept: LogAttributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (RESERVED_KEYS.includes(key)) this.warn(`The key "${key}" is a reserved key and will be dropped.`);
      else kept[key] = value;
    }
    return kept;
  }

  #log(level: number, input: string | LogAttributes, extra: unknown[]): void {
    if (level < this.#level) return;
    if (this.#initialized) this.#print(level, input, extra);
    else this.#pending.push([level, input, extra]);
  }

  #print(level: number, input: string | LogAttributes, extra: unknown[]): void {
    const context = this.#context;
    const base: LogAttributes = {
      level: levelName(level),
      message: '',
      timestamp: timestamp(new Date()),
      service: this.#serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: this.#sampleRate,
      xray_trace_id: xRayTraceId(),
      tenant_id: context?.tenantId,
    };
    const additional: LogAttributes = {};
    for (const [key, value] of Object.entries(this.#persistent)) if (value !== undefined) additional[key] = value;
    for (const [key, value] of Object.entries(this.#temporary)) if (value !== undefined) additional[key] = value;
    if (typeof input === 'string') base.message = input;
    else {
      const { message, ...rest } = input;
      base.message = message;
      Object.assign(additional, this.#withoutReserved(rest));
    }
    for (const item of extra) {
      if (item === null || item === undefined) continue;
      if (item instanceof Error) additional.error = item;
      else if (typeof item === 'string') additional.extra = item;
      else Object.assign(additional, this.#withoutReserved(item as LogAttributes));
    }
    const ordered: LogAttributes = {};
    for (const key of this.#order ?? []) {
      if (key in ordered) continue;
      if (key in base) ordered[key] = base[key];
      else if (key in additional) ordered[key] = additional[key];
    }
    for (const key in base) if (!(key in ordered)) ordered[key] = base[key];
    for (const key in additional) if (!(key in ordered)) ordered[key] = additional[key];
    const printed: LogAttributes = {};
    for (const key in ordered) {
      const value = ordered[key];
      if (value !== undefined && value !== '' && value !== null) printed[key] = value;
    }
    const dev = this.#dev;
    const line = JSON.stringify(printed, jsonReplacer(), dev ? 4 : 0);
    const method =
      level === LEVELS.CRITICAL
        ? 'error'
        : level === LEVELS.TRACE
          ? 'log'
          : (levelName(level).toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    if (dev) console[method](line);
    // Node's Console: log, info and debug go to stdout, warn and error to stderr.
    else (method === 'warn' || method === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

export interface MiddyRequest {
  event: unknown;
  context: LambdaContextLike;
}

/** Middy middleware: each invocation's context on every line, debug sampling re-rolled, the event logged if POWERTOOLS_LOGGER_LOG_EVENT. */
export function injectLambdaContext(logger: Logger): { before: (request: MiddyRequest) => void } {
  const logEvent = envBoolean('POWERTOOLS_LOGGER_LOG_EVENT', false, false);
  return {
    before(request) {
      logger.refreshSampleRateCalculation();
      logger.addContext(request.context);
      if (logEvent) logger.info('Lambda invocation event', { event: request.event });
    },
  };
}
