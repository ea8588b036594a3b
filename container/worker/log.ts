/**
 * One JSON object per line on stdout: awslogs ships each line as an event, and Logs
 * Insights queries its keys. Tiny on purpose: the worker must not need Lambda's runtime.
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;
export type LineSink = (line: string) => void;

export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const stdoutSink: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export function createLog(sink: LineSink, base: LogFields, now: () => number = Date.now): Log {
  const write = (level: LogLevel, message: string, fields?: LogFields) =>
    sink(JSON.stringify({ level, timestamp: new Date(now()).toISOString(), message, ...base, ...fields }));
  return {
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARN', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
  };
}

/** An error as log fields: name, message and the cause chain, never a bare string. */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  return {
    error: { name: error.name, message: error.message, stack: error.stack },
    ...(error.cause !== undefined ? { cause: errorFields(error.cause).error } : {}),
  };
}
