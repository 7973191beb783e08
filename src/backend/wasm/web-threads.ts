/**
 * Web Workers as a pool host (threads.ts), for cross-origin-isolated pages: there
 * SharedArrayBuffer and shared WebAssembly memories exist and may be posted to workers, so
 * a page runs the same chunks on the same memory as Node's worker_threads (the same bits).
 *
 * The worker is a classic script built from a string in this module, started from a Blob
 * URL: no worker file to locate, so the package works unchanged in every bundler (esbuild,
 * Vite, webpack) and in plain ESM, with no configuration. Blob workers inherit the page's
 * cross-origin isolation (COOP/COEP), which shared memory needs.
 */
import { workerProgram, type PoolHost, type WorkerData } from './threads';

// The project compiles without the DOM lib, so the few members used are typed here.
interface WebWorker {
  postMessage(data: unknown): void;
  addEventListener(event: 'error', listener: () => void): void;
}
interface WebGlobals {
  crossOriginIsolated?: boolean;
  Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
}

// the first message is the WorkerData; the loop then blocks in Atomics.wait until told to exit
const WEB_PROGRAM = workerProgram('self.onmessage = (e) => { self.onmessage = null; run(e.data); close(); };');

let programUrl: string | null = null;

/**
 * Web Workers as a pool host when the page (or worker) is cross-origin isolated and can
 * start workers from a Blob URL; null otherwise (not isolated, no Worker: one thread).
 */
export function webHost(): PoolHost | null {
  const g = globalThis as WebGlobals;
  const { Worker, Blob, URL } = g;
  if (g.crossOriginIsolated !== true || Worker === undefined || Blob === undefined || URL === undefined) return null;
  return {
    spawn(data: WorkerData, gone: () => void): void {
      // one URL for every worker of the page, kept: revoking it could race a worker's start
      programUrl ??= URL.createObjectURL(new Blob([WEB_PROGRAM], { type: 'text/javascript' }));
      const worker = new Worker(programUrl, { name: `shapeflow-wasm-${data.index}` });
      worker.addEventListener('error', gone);
      worker.postMessage(data);
    },
  };
}
