/**
 * `npm run bench`: shapeflow vs TensorFlow.js (cpu and wasm backends) and ONNX Runtime native
 * (onnxruntime-node, on the cases with an ONNX graph) in one process.
 *
 *   --only a,b   run only the named cases
 *   --quick      short budgets and few repeats (smoke runs in seconds; numbers are rough)
 *   --out DIR    where latest.json / latest.md go (default benchmarks/results)
 */
import { runBench } from './bench';
import { parseArgs } from './report';

runBench(parseArgs(process.argv.slice(2))).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
