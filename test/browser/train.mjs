// The program the browser test runs in Node and in the pages: a small MLP (256 → 256 relu →
// 10, batch 128: GEMMs of 17 MFLOP, above the wasm backend's threading threshold) trained a
// few Adam steps on fixed-seed data. Plain JavaScript over the package's public API, so the
// same file runs from the ESM build in Node and bundled by esbuild in a page.
export async function train(sf, steps = 5) {
  const threads = await sf.startThreads();
  const model = sf.nn.sequential(['batch', 256], sf.nn.dense(256, { activation: 'relu' }), sf.nn.dense(10));
  const [kp, kx, ky] = sf.random.split(sf.key(7), 3);
  const x = sf.randomNormal(kx, [128, 256]);
  const y = sf.randomNormal(ky, [128, 10]);
  let params = model.init(kp);
  const opt = sf.optim.adam({ learningRate: 1e-2 });
  let state = opt.init(params);
  const step = sf.valueAndGrad((p) => sf.nn.mse(model.apply(p, x), y));
  const losses = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const [loss, grads] = step(params);
    const [updates, next] = opt.update(grads, state, params);
    params = sf.optim.applyUpdates(params, updates);
    state = next;
    losses.push(loss.item());
  }
  // wall time of the steps (a diagnostic only: noisy on a shared machine)
  const ms = performance.now() - t0;
  return { losses, threads, ms, workerChunks: sf.workerChunks(), backend: sf.backend().name };
}
