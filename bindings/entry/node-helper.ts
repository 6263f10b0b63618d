// A helper thread in Node (worker_threads): receives its HelperInit, instantiates the kernels on the
// shared memory, says it is ready, then serves the pool until stopped (bindings/threads/helper-loop.ts).
import { parentPort } from 'node:worker_threads';
import { prepareHelper } from '../threads/helper-loop.js';
import type { HelperInit } from '../threads/protocol.js';

parentPort!.once('message', async (init: HelperInit) => {
  let serve: () => void;
  try {
    serve = await prepareHelper(init);
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
    return;
  }
  parentPort!.postMessage({ ready: true });
  serve();
  parentPort!.close();
});
