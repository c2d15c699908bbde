import vm from 'node:vm';

/**
 * Node's own process object: the `process` a jest test sees is a copy whose
 * listeners Node never calls.
 */
export const nodeProcess = vm.runInThisContext('process') as NodeJS.Process;

/**
 * Records every unhandled rejection from now until `stop()`. Jest's own
 * listeners are set aside meanwhile (and put back on stop), so a rejection is
 * seen by the assertion, not turned into an unrelated failure elsewhere.
 */
export function watchUnhandledRejections(): { readonly seen: unknown[]; stop: () => void } {
  const seen: unknown[] = [];
  const others = nodeProcess.listeners('unhandledRejection');
  for (const listener of others) nodeProcess.off('unhandledRejection', listener);
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  nodeProcess.on('unhandledRejection', listener);
  return {
    seen,
    stop: () => {
      nodeProcess.off('unhandledRejection', listener);
      for (const other of others) nodeProcess.on('unhandledRejection', other);
    },
  };
}
