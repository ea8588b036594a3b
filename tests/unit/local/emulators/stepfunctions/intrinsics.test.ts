/**
 * The local Step Functions executes intrinsic functions as AWS does (aws-local-stepfunctions
 * is patched, patches/): values keep their backslashes, so the callback state's overrides,
 * spliced around the task token as JSON text, parse back to the object they came from.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import '../../../../../local/emulators/stepfunctions/polyfill';

async function evaluate(parameters: Record<string, string>, input: unknown): Promise<unknown> {
  const machine = new StateMachine({
    StartAt: 'Evaluate',
    States: { Evaluate: { Type: 'Pass', Parameters: parameters, End: true } },
  } as never);
  return machine.run(input as never).result;
}

describe('intrinsic functions in the local Step Functions', () => {
  it('splices a token into overrides whose values hold escaped JSON, as the callback state does', async () => {
    const overrides = {
      ContainerOverrides: [
        {
          Name: 'pipeline',
          Environment: [
            { Name: 'OBJECTS', Value: JSON.stringify([{ file: 'orders', key: 'in/orders "quoted" \\ back.csv' }]) },
            { Name: 'TASK_TOKEN', Value: '@@TOKEN@@' },
          ],
        },
      ],
    };
    const text = JSON.stringify(overrides);
    const [before, after] = text.split('@@TOKEN@@');

    const result = await evaluate(
      { 'overrides.$': "States.StringToJson(States.Format('{}{}{}', $.before, $.token, $.after))" },
      { before, after, token: 'AQB8AAAAKgAAAAMAAAAAAAAAAQ==' },
    );

    expect(result).toEqual({ overrides: JSON.parse(text.replace('@@TOKEN@@', 'AQB8AAAAKgAAAAMAAAAAAAAAAQ==')) });
  });

  it('keeps escaped braces of a Format template literal', async () => {
    const result = await evaluate({ 'text.$': "States.Format('\\{\\} means {}', $.word)" }, { word: 'braces' });
    expect(result).toEqual({ text: '{} means braces' });
  });
});
