/**
 * Train in shapeflow, export to ONNX, run the same model in ONNX Runtime.
 *
 *   npx tsx src/examples/onnx-export.ts [out.onnx]
 *
 * Trains the digits CNN of the tour for a few epochs, writes its weights as safetensors and
 * the model as ONNX (batch as a dynamic axis), then loads the ONNX file in onnxruntime-node
 * (a devDependency) and compares its outputs with shapeflow's on two batch sizes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { key, split } from '../random';
import { makeTensor, type Tensor } from '../tensor/tensor';
import { fit } from '../nn/train';
import { sparseCategoricalCrossEntropy } from '../nn/losses';
import { adam } from '../optim';
import { exportOnnx, saveSafetensors } from '../io';
import { readDigits, digitsModel } from './cnn-digits';

async function main(out: string): Promise<void> {
  const data = readDigits(join(dirname(fileURLToPath(import.meta.url)), 'data/images/digits8x8.csv'));
  const x = makeTensor<[number, 8, 8, 1], 'float32'>([data.n, 8, 8, 1], 'float32', data.x);
  const y = makeTensor<[number], 'int32'>([data.n], 'int32', data.y);
  const [kInit, kFit] = split(key(0));
  const model = digitsModel;
  const { params } = fit(model.init(kInit), {
    model,
    loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
    optimizer: adam({ learningRate: 3e-3 }),
    data: { x, y },
    epochs: 3,
    batchSize: 64,
    key: kFit,
  });
  writeFileSync(out.replace(/\.onnx$/, '') + '.safetensors', saveSafetensors(params, { model: 'digits-cnn' }));
  const bytes = exportOnnx((p: typeof params, input) => model.apply(p, input as Tensor<[number, 8, 8, 1]>), [{ name: 'image', shape: ['batch', 8, 8, 1] }], params);
  writeFileSync(out, bytes);
  const session = await ort.InferenceSession.create(bytes);
  for (const batch of [1, 17]) {
    const input = data.x.slice(0, batch * 64);
    const ours = model.apply(params, makeTensor<[number, 8, 8, 1], 'float32'>([batch, 8, 8, 1], 'float32', input)).dataSync();
    const result = await session.run({ image: new ort.Tensor('float32', input, [batch, 8, 8, 1]) });
    const theirs = Object.values(result)[0]!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
    process.stdout.write(`batch ${batch}: ONNX Runtime vs shapeflow max |diff| = ${maxDiff.toExponential(2)}\n`);
    if (!(maxDiff < 1e-4)) throw new Error(`outputs differ by ${maxDiff}`);
  }
  process.stdout.write(`wrote ${out} (${bytes.length} bytes) and its weights as safetensors\n`);
}

main(resolve(process.argv[2] ?? 'digits-cnn.onnx')).catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
