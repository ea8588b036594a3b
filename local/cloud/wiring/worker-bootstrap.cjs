// Runs one function's bundle in a worker thread with its own process.env (Worker `env`),
// so each function sees exactly the environment its template declares, as on Lambda.
// Messages: { id, event, context, fault } in; { id, ok, result | error } out.
const { parentPort, workerData } = require('node:worker_threads');

let handler;
try {
  const mod = require(workerData.bundle);
  handler = mod[workerData.exportName];
  if (typeof handler !== 'function') throw new Error(`${workerData.handler}: the module exports no function "${workerData.exportName}"`);
} catch (error) {
  parentPort.postMessage({
    id: 0,
    ok: false,
    error: { name: error.name || 'Error', message: `cannot load ${workerData.handler}: ${error.message}`, stack: error.stack },
  });
}

const toError = (error) =>
  error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { name: 'Error', message: String(error) };

parentPort.on('message', async ({ id, event, context, fault }) => {
  const deadline = Date.now() + context.timeoutMs;
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    if (fault && fault.kind === 'crash-mid-batch' && Array.isArray(event.Records)) {
      // The first records' side effects happen, then the invocation dies: what a crash mid-batch leaves behind.
      await handler({ ...event, Records: event.Records.slice(0, fault.afterRecords) }, ctx);
      throw Object.assign(new Error(`injected crash after ${fault.afterRecords} of ${event.Records.length} records`), {
        name: 'Runtime.InjectedCrash',
      });
    }
    const result = await handler(event, ctx);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: toError(error) });
  }
});
