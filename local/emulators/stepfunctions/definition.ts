/**
 * Prepares an ASL definition for aws-local-stepfunctions: validates the original, then makes a
 * runnable copy with time scaled (Wait Seconds, Retry intervals, timeouts) and with Task
 * timeouts taken over by the local Step Functions (it enforces TimeoutSeconds and
 * HeartbeatSeconds itself, so it can clean up the work a timed-out task left behind).
 */
import { parse as parseYaml } from 'yaml';
import './polyfill';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

export class InvalidDefinitionError extends Error {
  override readonly name = 'InvalidDefinitionError';
}

/** What the local Step Functions needs to know about one Task state. */
export interface TaskStateInfo {
  name: string;
  resource: string;
  /** As written in the definition (unscaled); undefined: none, or read from the input. */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** TimeoutSecondsPath / HeartbeatSecondsPath: the value arrives with the parameters. */
  timeoutFromInput?: boolean;
  heartbeatFromInput?: boolean;
}

export interface PreparedDefinition {
  original: Record<string, unknown>;
  runnable: StateMachineDefinition;
  tasks: Map<string, TaskStateInfo>;
  /** Every state's type by name, nested states included: for history event names. */
  stateTypes: Map<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Longest timer Node can hold (setTimeout overflows past 2^31-1 ms): the stand-in for "no timeout". */
const NO_TIMEOUT_SECONDS = 2_000_000;

/** Keys the runnable copy wraps a Task state's parameters in; the handler unwraps them. */
export const PARAMS_KEY = '__localParameters';
export const TIMEOUT_KEY = '__localTimeoutSeconds';
export const HEARTBEAT_KEY = '__localHeartbeatSeconds';

export function parseDefinition(definition: unknown, where: string): Obj {
  let value = definition;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      try {
        value = parseYaml(value as string);
      } catch (error) {
        throw new InvalidDefinitionError(`${where}: definition is neither JSON nor YAML: ${(error as Error).message}`);
      }
    }
  }
  if (!isObj(value) || !isObj(value.States) || typeof value.StartAt !== 'string') {
    throw new InvalidDefinitionError(`${where}: definition must be an object with StartAt and States`);
  }
  return value;
}

export function prepareDefinition(definition: unknown, options: { timeScale: number; where: string }): PreparedDefinition {
  const original = parseDefinition(definition, options.where);
  try {
    new StateMachine(original as unknown as StateMachineDefinition);
  } catch (error) {
    throw new InvalidDefinitionError(`${options.where}: ${(error as Error).message}`);
  }
  const scale = options.timeScale;
  const tasks = new Map<string, TaskStateInfo>();
  const stateTypes = new Map<string, string>();
  // JSON round trip, not structuredClone: the library only recurses into objects of its own realm (jest runs code in a vm context).
  const runnable = JSON.parse(JSON.stringify(original)) as Obj;

  const visitMachine = (machine: Obj, path: string): void => {
    for (const [name, state] of Object.entries(machine.States as Obj)) {
      if (!isObj(state)) continue;
      const where = `${path} > ${name}`;
      stateTypes.set(name, String(state.Type));
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') state.Seconds = state.Seconds * scale;
      if (Array.isArray(state.Retry)) {
        for (const r of state.Retry as Obj[]) {
          r.IntervalSeconds = (typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1) * scale;
          if (typeof r.MaxDelaySeconds === 'number') r.MaxDelaySeconds = r.MaxDelaySeconds * scale;
        }
      }
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        const existing = tasks.get(name);
        // Overrides are keyed by state name, so two Task states of one name must do the same thing.
        if (existing && existing.resource !== resource) {
          throw new InvalidDefinitionError(
            `${where}: two Task states are named "${name}" with different resources; the local Step Functions needs unique Task state names`,
          );
        }
        const info: TaskStateInfo = { name, resource };
        if (typeof state.TimeoutSeconds === 'number') info.timeoutSeconds = state.TimeoutSeconds;
        else if (typeof state.TimeoutSecondsPath === 'string') info.timeoutFromInput = true;
        if (typeof state.HeartbeatSeconds === 'number') info.heartbeatSeconds = state.HeartbeatSeconds;
        else if (typeof state.HeartbeatSecondsPath === 'string') info.heartbeatFromInput = true;
        // The handler only sees the effective parameters, so carry the *Path values in them:
        // Parameters is evaluated against the same (InputPath'd) input the paths refer to.
        const carried: Obj = 'Parameters' in state ? { [PARAMS_KEY]: state.Parameters } : { [`${PARAMS_KEY}.$`]: '$' };
        if (info.timeoutFromInput) carried[`${TIMEOUT_KEY}.$`] = state.TimeoutSecondsPath;
        if (info.heartbeatFromInput) carried[`${HEARTBEAT_KEY}.$`] = state.HeartbeatSecondsPath;
        state.Parameters = carried;
        // Timeouts are enforced by the local Step Functions (scaled); the library's must never fire.
        state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
        tasks.set(name, info);
      }
      for (const key of ['Iterator', 'ItemProcessor'] as const) {
        if (isObj(state[key])) visitMachine(state[key] as Obj, where);
      }
      if (Array.isArray(state.Branches)) for (const b of state.Branches as Obj[]) visitMachine(b, where);
    }
  };
  visitMachine(runnable, options.where);
  if (typeof runnable.TimeoutSeconds === 'number') runnable.TimeoutSeconds = runnable.TimeoutSeconds * scale;
  return { original, runnable: runnable as unknown as StateMachineDefinition, tasks, stateTypes };
}
