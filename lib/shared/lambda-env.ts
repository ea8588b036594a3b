/**
 * What the logger and the metrics read from the Lambda environment, as Powertools for AWS
 * Lambda reads it (same variables, same parsing), so replacing it changes no setting.
 */

const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSY = new Set(['0', 'n', 'no', 'f', 'false', 'off']);

/** A boolean variable; `extended` also accepts 1/0, yes/no, on/off and the like. An unreadable value is an error naming it. */
export function envBoolean(key: string, defaultValue: boolean, extended: boolean): boolean {
  const value = (process.env[key]?.trim() ?? String(defaultValue)).toLowerCase();
  if (extended && TRUTHY.has(value)) return true;
  if (extended && FALSY.has(value)) return false;
  if (value !== 'true' && value !== 'false') throw new Error(`Environment variable ${key} must be a boolean`);
  return value === 'true';
}

/** POWERTOOLS_DEV: readable output for a developer (an unreadable value counts as off). */
export function isDevMode(): boolean {
  try {
    return envBoolean('POWERTOOLS_DEV', false, true);
  } catch {
    return false;
  }
}

export interface ColdStart {
  /** True once, on the first call in an on-demand execution environment (never under provisioned concurrency). */
  take(): boolean;
}

/** Powertools' cold start: each logger and metrics instance answers true once, and only when Lambda says the start was on demand. */
export function coldStartTracker(): ColdStart {
  const onDemand = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';
  let cold = onDemand;
  return {
    take() {
      if (!cold) return false;
      cold = false;
      return true;
    },
  };
}
