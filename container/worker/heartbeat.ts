/**
 * Heartbeats for a callback task: one at once (container start-up may have used part of
 * the state's HeartbeatSeconds), then every interval. Chained timeouts, not setInterval,
 * so a slow SendTaskHeartbeat never overlaps the next one.
 */
import { TaskTokenRejectedError } from './errors';
import type { Log } from './log';
import { errorFields } from './log';

export interface Heartbeats {
  stop(): void;
}

export interface HeartbeatOptions {
  intervalMs: number;
  beat: () => Promise<void>;
  /** The token is dead (execution timed out or was stopped): the work should stop. */
  onTokenRejected: (error: TaskTokenRejectedError) => void;
  log: Log;
}

/** A third of HeartbeatSeconds: two beats may fail or be late before the state times out. */
export function heartbeatIntervalMs(heartbeatSeconds: number): number {
  return Math.max(1, Math.floor((heartbeatSeconds * 1000) / 3));
}

export function startHeartbeats({ intervalMs, beat, onTokenRejected, log }: HeartbeatOptions): Heartbeats {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      await beat();
    } catch (error) {
      if (error instanceof TaskTokenRejectedError) {
        stopped = true;
        onTokenRejected(error);
        return;
      }
      // Transient (throttling, network): the next beat retries well before the state's limit.
      log.warn('heartbeat failed; retrying at the next interval', errorFields(error));
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), intervalMs);
      // A pending heartbeat must not keep a finished process alive.
      timer.unref?.();
    }
  };

  void tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
