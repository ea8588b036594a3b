/**
 * AWS SDK clients, one module per service, each client created once per process on first
 * use; a function's bundle holds only the SDK packages of the modules it imports.
 * Endpoints come from the SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
 * variables, which is how the local cloud points the same code at its emulators.
 *
 * Each module marks its `once(...)` call pure (`/* @__PURE__ *\/`): a function that never
 * calls the client then leaves it, SDK package included, out of its bundle, even when a
 * product's dependency factories import every client of the product.
 */
export const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};
