/**
 * Turns the errors a newcomer can hit into what to do about them.
 */
import { PortInUseError } from '../emulators/data-services';
import { PackageError } from './template';
import { HandlerNotFoundError } from './wiring/functions';

export function explain(error: unknown): string {
  if (error instanceof PortInUseError) return error.message;
  if (error instanceof PackageError) return error.message;
  if (error instanceof HandlerNotFoundError) return `${error.message}\n  → fix the handler path in functions/*.yml or create the file`;
  if (error instanceof Error && error.name === 'ZodError') return `a configuration file is not valid: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      return `${error.message}: stop the other local cloud (npm run local) or set LOCAL_CLOUD_PORT_BASE to a free range`;
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}
