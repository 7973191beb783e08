// The program the browser test runs in Node and in the pages, over the package's public API
// (plain JavaScript, so the same file runs from the ESM build in Node and bundled by esbuild
// in a page). Every part is above the wasm backend's threading thresholds, so with workers
// each runs chunked: a small MLP (256 → 256 relu → 10, batch 128: GEMMs of 17 MFLOP) trained
// a few Adam steps, a small CNN (conv 3x3x32 over 32 images, 12.5 MFLOP; max pool) trained
// a few steps, and an element-wise copy/compute pipeline (2^19 elements). Fixed seeds.
async function fitSteps(sf, model, x, y, loss, steps, k, learningRate) {
  let params = model.init(k);
  const opt = sf.optim.adam({ learningRate });
  let state = opt.init(params);
  const step = sf.valueAndGrad((p) => loss(model.apply(p, x), y));
  const losses = [];
  for (let i = 0; i < steps; i++) {
    const [l, grads] = step(params);
    const [updates, next] = opt.update(grads, state, params);
    params = sf.optim.applyUpdates(params, updates);
    state = next;
    losses.push(l.item());
  }
  return losses;
}

export async function train(sf, steps = 5) {
  const threads = await sf.startThreads();
  const k = sf.random.split(sf.key(7), 8);
  const t0 = performance.now();
  const mlp = sf.nn.sequential(['batch', 256], sf.nn.dense(256, { activation: 'relu' }), sf.nn.dense(10));
  const mlpLosses = await fitSteps(sf, mlp, sf.randomNormal(k[0], [128, 256]), sf.randomNormal(k[1], [128, 10]), sf.nn.mse, steps, k[2], 1e-2);
  const cnn = sf.nn.sequential(['batch', 28, 28, 1],
    sf.nn.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }), sf.nn.maxPool2d({ poolSize: 2 }), sf.nn.flatten(), sf.nn.dense(10));
  const cnnLosses = await fitSteps(sf, cnn, sf.randomNormal(k[3], [32, 28, 28, 1]), sf.randint(k[4], [32], 0, 10), sf.nn.sparseCategoricalCrossEntropy, 3, k[5], 1e-3);
  const pipelined = sf.sum(sf.mul(sf.randomNormal(k[6], [512, 1024]), sf.randomNormal(k[7], [512, 1024]))).item();
  // wall time (a diagnostic only: noisy on a shared machine)
  const ms = performance.now() - t0;
  // the MLP's and the CNN's losses, then the pipelined sum: all compared bit for bit
  return { values: [...mlpLosses, ...cnnLosses, pipelined], threads, ms, workerChunks: sf.workerChunks(), backend: sf.backend().name };
}
