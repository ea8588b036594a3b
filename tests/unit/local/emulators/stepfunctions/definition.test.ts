/**
 * prepareDefinition: the runnable copy scales time, carries *SecondsPath values into the
 * parameters the Task handler sees, and takes Task timeouts away from the library.
 */
import {
  HEARTBEAT_KEY,
  InvalidDefinitionError,
  PARAMS_KEY,
  prepareDefinition,
  TIMEOUT_KEY,
} from '../../../../../local/emulators/stepfunctions/definition';

const definition = {
  StartAt: 'Pause',
  TimeoutSeconds: 100,
  States: {
    Pause: { Type: 'Wait', Seconds: 10, Next: 'Shards' },
    Shards: {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
            Parameters: { 'Token.$': '$$.Task.Token' },
            TimeoutSecondsPath: '$.timeout',
            HeartbeatSecondsPath: '$.heartbeat',
            Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 4, MaxDelaySeconds: 40 }, { ErrorEquals: ['X'] }],
            End: true,
          },
        },
      },
      Next: 'Record',
    },
    Record: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', TimeoutSeconds: 30, HeartbeatSeconds: 10, End: true },
  },
};

type AnyState = Record<string, unknown>;

describe('prepareDefinition', () => {
  it('scales Wait, Retry and the execution timeout, and records each Task state', () => {
    const prepared = prepareDefinition(definition, { timeScale: 0.1, where: 'test' });
    const states = prepared.runnable.States as unknown as Record<string, AnyState>;
    const work = ((states.Shards!.ItemProcessor as AnyState).States as Record<string, AnyState>).Work!;

    expect(states.Pause!.Seconds).toBeCloseTo(1);
    expect(prepared.runnable.TimeoutSeconds).toBeCloseTo(10);
    expect(work.Retry).toEqual([
      expect.objectContaining({ IntervalSeconds: expect.closeTo(0.4), MaxDelaySeconds: expect.closeTo(4) }),
      expect.objectContaining({ IntervalSeconds: expect.closeTo(0.1) }),
    ]);
    expect(prepared.tasks.get('Work')).toEqual({
      name: 'Work',
      resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
      timeoutFromInput: true,
      heartbeatFromInput: true,
    });
    expect(prepared.tasks.get('Record')).toEqual({
      name: 'Record',
      resource: 'arn:aws:states:::dynamodb:putItem',
      timeoutSeconds: 30,
      heartbeatSeconds: 10,
    });
    expect(prepared.stateTypes.get('Work')).toBe('Task');
  });

  it('wraps Task parameters with the *SecondsPath values and leaves the original definition untouched', () => {
    const prepared = prepareDefinition(definition, { timeScale: 1, where: 'test' });
    const states = prepared.runnable.States as unknown as Record<string, AnyState>;
    const work = ((states.Shards!.ItemProcessor as AnyState).States as Record<string, AnyState>).Work!;

    expect(work.Parameters).toEqual({
      [PARAMS_KEY]: { 'Token.$': '$$.Task.Token' },
      [`${TIMEOUT_KEY}.$`]: '$.timeout',
      [`${HEARTBEAT_KEY}.$`]: '$.heartbeat',
    });
    expect(work).not.toHaveProperty('TimeoutSecondsPath');
    expect(work).not.toHaveProperty('HeartbeatSecondsPath');
    expect((states.Record as AnyState).Parameters).toEqual({ [`${PARAMS_KEY}.$`]: '$' });
    expect(definition.States.Record).not.toHaveProperty('Parameters');
  });

  it('reads YAML and rejects an invalid definition with where it came from', () => {
    expect(prepareDefinition('StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n', { timeScale: 1, where: 'y' }).tasks.size).toBe(
      0,
    );
    expect(() =>
      prepareDefinition({ StartAt: 'Missing', States: { A: { Type: 'Pass', End: true } } }, { timeScale: 1, where: 'state machine bad' }),
    ).toThrow(InvalidDefinitionError);
    expect(() => prepareDefinition('[1]', { timeScale: 1, where: 'state machine arr' })).toThrow(
      /state machine arr: definition must be an object/,
    );
  });

  it('refuses a state name used twice, nested states included (AWS requires unique names; Task overrides are keyed by name)', () => {
    const clash = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } } },
          Next: 'T',
        },
        T: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true },
      },
    };
    expect(() => prepareDefinition(clash, { timeScale: 1, where: 'c' })).toThrow(InvalidDefinitionError);
  });
});
