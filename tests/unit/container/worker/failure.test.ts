import { MAX_CAUSE_CHARS, MAX_ERROR_CHARS, toTaskFailure, truncate } from '../../../../container/worker';

describe('toTaskFailure', () => {
  it('keeps the error name within 256 characters', () => {
    const error = new Error('x');
    error.name = 'E'.repeat(400);

    const failure = toTaskFailure(error, {});

    expect(failure.error.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
    expect(failure.error.startsWith('EEEE')).toBe(true);
  });

  it('keeps a huge message within 32,768 characters and the cause still parses as JSON', () => {
    const failure = toTaskFailure(new Error('"quoted"\n'.repeat(20_000)), { pipeline: 'p' });

    expect(failure.cause.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    const cause = JSON.parse(failure.cause) as { errorMessage: string; context: unknown };
    expect(cause.errorMessage).toMatch(/more chars]$/);
    expect(cause.context).toEqual({ pipeline: 'p' });
  });

  it('describes a thrown non-error value', () => {
    expect(JSON.parse(toTaskFailure('boom', {}).cause)).toMatchObject({ errorType: 'Error', errorMessage: 'boom' });
  });
});

describe('truncate', () => {
  it('never splits a surrogate pair', () => {
    const cut = truncate('😀'.repeat(100), 41);
    expect(cut.length).toBeLessThanOrEqual(41);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
