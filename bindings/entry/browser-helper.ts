// A helper thread in a browser (module Web Worker): receives its HelperInit, instantiates the kernels on
// the shared memory, says it is ready, then serves the pool until stopped (bindings/threads/helper-loop.ts).
import { prepareHelper } from '../threads/helper-loop.js';
import type { HelperInit } from '../threads/protocol.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<HelperInit>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = async (event) => {
  scope.onmessage = null;
  let serve: () => void;
  try {
    serve = await prepareHelper(event.data);
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? e.message : String(e) });
    return;
  }
  scope.postMessage({ ready: true });
  serve();
};
