/** The shared metrics instance warns through the shared logger: a structured line at the stage's level, never a bare stderr line. */
import { logger, metrics } from '../../../lib/shared/observability';

test('an invocation that counted nothing warns through the logger, not on stderr', () => {
  // Prepare
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const stderr = jest.spyOn(process.stderr, 'write');
  // Act
  metrics.publishStoredMetrics();
  // Assess
  expect(warn).toHaveBeenCalledWith(expect.stringContaining('No application metrics to publish'));
  expect(stderr).not.toHaveBeenCalled();
  warn.mockRestore();
  stderr.mockRestore();
});
