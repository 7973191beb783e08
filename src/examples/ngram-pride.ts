/**
 * ngram-pride: a character n-gram language model (src/data NGramModel, interpolated add-k)
 * on Pride and Prejudice. The first 90% of the text trains, the last 10% validates; bits
 * per character for orders 1..6 show how more context helps until the counts get too
 * sparse; samples at several temperatures show what the best order has learnt.
 * The best bits/char is the bar the char-LSTM example has to beat.
 */
import type { Example, ExampleContext, ExampleResult } from './example';
import { lines } from './plots';
import { NGramModel } from '../data/ngram';
import { sampleTemperature } from '../data/sampling';
import { loadText, promptFrom, splitText } from './pride-common';
import { foldIn, key, uniformArray } from '../random';

const ORDERS = [1, 2, 3, 4, 5, 6] as const;
const TEMPERATURES = [0, 0.5, 1, 1.5] as const;
/** pseudo-count per symbol at every order (the model's default) */
const K = 0.1;

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  const { text, source } = loadText(ctx);
  // Quick mode: the first 60,000 characters only (same split rule as charlm-pride).
  const { train, val, trainChars: nTrain, valChars } = splitText(text, source, ctx.quick ? 60_000 : Infinity);
  const total = nTrain + valChars;
  // Train bits/char on a validation-sized slice of the training text (the end of it): the gap to validation shows sparsity.
  const trainProbe = Array.from(train).slice(Math.max(0, nTrain - valChars)).join('');
  ctx.log(`${source}: ${total.toLocaleString('en-US')} characters, ${nTrain.toLocaleString('en-US')} train / ${valChars.toLocaleString('en-US')} validation`);

  const bar = ctx.progress('ngram-pride: orders 1..6', ORDERS.length);
  const valBits: number[] = [];
  const trainBits: number[] = [];
  const models: NGramModel[] = [];
  for (const n of ORDERS) {
    const m = NGramModel.fit(train, n, { k: K });
    models.push(m);
    valBits.push(m.bitsPerChar(val));
    trainBits.push(m.bitsPerChar(trainProbe));
    bar.update(n, { 'val bits/char': valBits.at(-1)! });
    await new Promise<void>((resolve) => setImmediate(resolve)); // let the progress bar redraw
  }
  bar.stop();
  let best = 0;
  valBits.forEach((b, i) => {
    if (b < valBits[best]!) best = i;
  });
  const bestModel = models[best]!;
  const bestOrder = ORDERS[best]!;
  ORDERS.forEach((n, i) => ctx.log(`order ${n}: validation ${valBits[i]!.toFixed(4)} bits/char (train slice ${trainBits[i]!.toFixed(4)})`));

  // Samples from the best order. Randomness: one key per temperature, a stream of uniforms from it.
  const prompt = promptFrom(val);
  const length = ctx.quick ? 80 : 300;
  const sampleKey = key(1813);
  const sample = (t: number, stream: number) => {
    const us = uniformArray(foldIn(sampleKey, stream), length);
    let i = 0;
    return bestModel.generate(prompt, length, (logits) => sampleTemperature(logits, t, us[i++]!));
  };
  const samples = TEMPERATURES.map((t, s) => ({ t, text: sample(t, s) }));
  // Temperature 0 is greedy decoding: a second run, with other uniforms, gives the same text.
  const greedyAgain = sample(0, 99);
  const deterministic = greedyAgain === samples[0]!.text;

  // Raw text, line breaks kept (the report shows notes preformatted).
  const show = (s: string) => `${prompt}${s}`;
  return {
    metric: `validation bits/char (best order, ${bestOrder})`,
    value: valBits[best]!,
    target: null,
    lowerIsBetter: true,
    baseline: valBits[0]!,
    baselineName: 'unigram (order 1) bits/char',
    details: {
      'best order': bestOrder,
      ...Object.fromEntries(ORDERS.flatMap((n, i) => [[`order ${n} validation bits/char`, valBits[i]!], [`order ${n} train-slice bits/char`, trainBits[i]!]])),
      vocabulary: bestModel.vocab.length,
      'train characters': nTrain,
      'validation characters': valChars,
      'add-k pseudo-count': K,
      'temperature 0 deterministic': deterministic ? 'yes (two runs, same text)' : 'NO',
    },
    plots: [
      {
        title: 'Bits per character by n-gram order',
        spec: lines({ validation: valBits, 'train (slice)': trainBits }, { x: 'order n', y: 'bits/char', xValues: ORDERS }),
      },
    ],
    notes: [
      `Samples from the order-${bestOrder} model after the prompt ${JSON.stringify(prompt)} (${length} characters):`,
      ...samples.map((s) => `--- T = ${s.t} ---\n${show(s.text)}`),
      `--- T = 0 again (other uniforms): ${deterministic ? 'identical to the first, greedy decoding is deterministic' : `different!\n${show(greedyAgain)}`} ---`,
    ],
  };
}

export const example: Example = {
  id: 'ngram-pride',
  title: 'A character n-gram language model on Pride and Prejudice',
  description:
    'Counting is a language model: P(next character | previous n−1 characters) from interpolated add-k counts of the first 90% of the novel. ' +
    'Validation bits per character fall with the order until contexts become too rare to count, and samples at temperatures 0, 0.5, 1 and 1.5 ' +
    'go from a repetitive greedy loop to word salad. The best bits/char is the bar for the char-LSTM example.',
  dataFormat: 'any plain-text file (UTF-8); the first 90% of its characters train, the last 10% validate',
  run,
};
