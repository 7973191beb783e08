/**
 * ONNX Runtime native (onnxruntime-node, CPU execution provider) as a benchmark library: a
 * case's ONNX graph (cases.ts: our op exported with exportOnnx) in one InferenceSession with
 * as many intra-op threads as our backend uses, so both engines get the same cores.
 *
 * Loaded on demand: without the package (or its native binary) the column reads n/a and the
 * rest of the benchmark runs as before.
 */
import { createRequire } from 'node:module';
import type { Impl, OnnxGraph } from './cases';

type Ort = typeof import('onnxruntime-node');

export interface OrtRuntime {
  readonly ort: Ort;
  readonly version: string;
}

/** the runtime, or the reason it is unavailable */
export async function loadOrt(): Promise<OrtRuntime | string> {
  try {
    const ort = await import('onnxruntime-node');
    const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
    return { ort, version };
  } catch (e) {
    return `onnxruntime-node did not load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
  }
}

/**
 * One session for `graph`. A timed call is `session.run` on the prepared input tensors; its
 * result is a JS-side Float32Array (ORT copies the output out of its arena), as ours is.
 * Session options are ORT's defaults apart from the thread counts: full graph optimisation,
 * the memory arena, and pool threads that spin briefly while waiting (counted in its CPU time).
 */
export async function ortImpl(rt: OrtRuntime, graph: OnnxGraph, threads: number): Promise<Impl> {
  const { ort } = rt;
  const session = await ort.InferenceSession.create(graph.model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const f of graph.feeds) feeds[f.name] = new ort.Tensor('float32', f.data, [...f.dims]);
  const out = session.outputNames[0]!;
  const call = async (): Promise<Float32Array> => {
    const res = await session.run(feeds);
    const y = res[out]!;
    if (y.type !== 'float32') throw new Error(`ORT output '${out}' is ${y.type}, expected float32`);
    return y.data as Float32Array;
  };
  return {
    first: async () => {
      const y = await call();
      return graph.toOurLayout ? graph.toOurLayout(y) : y;
    },
    run: async () => {
      await call();
    },
    dispose: () => {
      void session.release();
    },
  };
}
