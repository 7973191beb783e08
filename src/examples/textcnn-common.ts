/**
 * The pipeline shared by the two TextCNN tour examples (textcnn-wordnet, textcnn-austen):
 * a label,text CSV → a shuffled 80/20 split by key → word tokens → a vocabulary of the
 * training rows only → padded id sequences → the example's embedding + TextCNN model,
 * compared with word-level multinomial naive Bayes on the same split. Also the "text as
 * vectors" arithmetic (one-hot vs bag of words vs embedding) and the plots: loss and
 * accuracy curves, the confusion matrix, and learnt embedding vectors of telling words.
 */
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import {
  NaiveBayesText,
  Vocabulary,
  accuracy as accuracyOf,
  bagOfWords,
  confusionMatrix,
  encodeLabels,
  oneHotEncode,
  padSequences,
  parseLabelTextCsv,
  sparsityReport,
  trainTestSplitShuffled,
  wordTokenize,
} from '../data';
import { readTextFileEither } from '../data/node';
import type { ApplyContext } from '../nn/layer';
import { sparseCategoricalCrossEntropy } from '../nn/losses';
import { accuracy } from '../nn/metrics';
import { fitAsync, type History } from '../nn/train';
import { argmax } from '../ops/reduce';
import { adam } from '../optim';
import { key, permutationArray, split, type Key } from '../random';
import { fromDataOrThrow } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import type { ExampleContext, ExamplePlot, ExampleResult } from './example';
import { confusion, heatmap, lines } from './plots';

export const TEXT_CSV_FORMAT =
  'a CSV file with a header line `label,text` and one example per line (quote texts that contain commas); ' +
  'at least two labels. Rows are shuffled with a fixed key and split 80/20; the vocabulary comes from the training rows only.';

/** The training fraction of the shuffled split. */
export const TRAIN_FRACTION = 0.8;
/** Quick mode: this many rows of the (already shuffled) train and test parts. */
const QUICK_ROWS = { train: 600, test: 200 } as const;
/** Sequences are padded/truncated to the 95th percentile of training lengths, within these bounds. */
const MIN_LEN = 8;
const MAX_LEN = 128;

/** What the runner needs of a model: `sequential(['batch', maxLen], embedding(...), ..., dense(classes))` fits. */
export interface TextModel<P extends readonly [{ readonly embeddings: Tensor<[number, number]> }, ...unknown[]]> {
  init(k: Key): P;
  apply(params: P, x: Tensor<[number, number], 'int32'>, ctx?: ApplyContext): Tensor<[number, number]>;
  summary(params: P): string;
}

export interface TextCnnSpec<P extends readonly [{ readonly embeddings: Tensor<[number, number]> }, ...unknown[]]> {
  readonly id: string;
  /** the bundled file under dataDir/text */
  readonly defaultFile: string;
  /** the model for a vocabulary size, a padded length and a number of classes */
  readonly build: (vocabSize: number, maxLen: number, classes: number) => TextModel<P>;
  readonly epochs: { readonly full: number; readonly quick: number };
  readonly batchSize: number;
  readonly learningRate: number;
  readonly target: number | null;
  /** the split's key, and the init/shuffle/dropout key */
  readonly splitSeed: number;
  readonly seed: number;
}

/** Labelled texts as read from the CSV. */
export interface LabelledTexts {
  readonly labels: readonly string[];
  readonly texts: readonly string[];
  readonly source: string;
}

export function loadTexts(ctx: ExampleContext, spec: { readonly id: string; readonly defaultFile: string }): LabelledTexts {
  const path = ctx.dataFile ?? join(ctx.dataDir, 'text', spec.defaultFile);
  const parsed = E.chain(parseLabelTextCsv)(readTextFileEither(path));
  if (E.isLeft(parsed)) throw new Error(`${spec.id}: ${parsed.left.message}`);
  const { labels, texts } = parsed.right;
  const distinct = new Set(labels).size;
  if (distinct < 2) throw new Error(`${spec.id}: ${path}: need at least two labels, found ${distinct}`);
  if (labels.length < 10) throw new Error(`${spec.id}: ${path}: too few rows for an 80/20 split (${labels.length})`);
  return { labels, texts, source: path };
}

/** The prepared split: token ids per document, padded tensors, labels, vocabulary. */
export interface PreparedText {
  readonly classes: readonly string[];
  readonly vocab: Vocabulary;
  readonly maxLen: number;
  readonly trainIds: Int32Array[];
  readonly testIds: Int32Array[];
  readonly yTrain: Int32Array;
  readonly yTest: Int32Array;
  /** padded, [n, maxLen] int32 */
  readonly xTrain: Tensor<[number, number], 'int32'>;
  readonly xTest: Tensor<[number, number], 'int32'>;
  /** the padded training matrix as plain data (for the encodings' arithmetic) */
  readonly paddedTrain: Int32Array;
}

/** 95th percentile of the training lengths, clamped to [MIN_LEN, MAX_LEN] (so every window fits). */
export function chooseMaxLen(lengths: readonly number[]): number {
  const sorted = lengths.slice().sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
  return Math.min(MAX_LEN, Math.max(MIN_LEN, p95));
}

export function prepare(data: LabelledTexts, splitSeed: number, quick: boolean): PreparedText {
  const { ids, classes } = encodeLabels(data.labels);
  const split8020 = trainTestSplitShuffled(data.labels.length, TRAIN_FRACTION, (n) => permutationArray(key(splitSeed), n));
  const trainIdx = quick ? split8020.train.slice(0, QUICK_ROWS.train) : split8020.train;
  const testIdx = quick ? split8020.test.slice(0, QUICK_ROWS.test) : split8020.test;
  const tokens = (idx: Int32Array) => Array.from(idx, (i) => wordTokenize(data.texts[i]!));
  const trainTokens = tokens(trainIdx);
  // the vocabulary sees the training rows only: test words it never saw become <unk>
  const vocab = Vocabulary.build(trainTokens);
  const trainIds = trainTokens.map((t) => vocab.encode(t));
  const testIds = tokens(testIdx).map((t) => vocab.encode(t));
  const maxLen = chooseMaxLen(trainIds.map((d) => d.length));
  // 'post' padding and truncation: keep the start of a long text (a gloss's head noun)
  const pad = (docs: Int32Array[]) => padSequences(docs, maxLen, { padding: 'post', truncating: 'post' });
  const paddedTrain = pad(trainIds);
  const paddedTest = pad(testIds);
  return {
    classes,
    vocab,
    maxLen,
    trainIds,
    testIds,
    yTrain: Int32Array.from(trainIdx, (i) => ids[i]!),
    yTest: Int32Array.from(testIdx, (i) => ids[i]!),
    xTrain: fromDataOrThrow(paddedTrain.data, [trainIds.length, maxLen], { dtype: 'int32' }),
    xTest: fromDataOrThrow(paddedTest.data, [testIds.length, maxLen], { dtype: 'int32' }),
    paddedTrain: paddedTrain.data,
  };
}

/** Word-level multinomial naive Bayes (Laplace smoothing) on the same split: test accuracy and the fitted model. */
export function naiveBayesBaseline(p: PreparedText): { accuracy: number; model: NaiveBayesText } {
  const model = NaiveBayesText.fit(p.trainIds, p.yTrain, { vocabSize: p.vocab.size, numClasses: p.classes.length });
  return { accuracy: accuracyOf(p.yTest, model.predict(p.testIds)), model };
}

/**
 * Text as vectors for this vocabulary: a one-hot row per token (sparsity measured on a few
 * training documents, since the whole set would not fit in memory), a bag-of-words row per
 * document (measured on up to 200 documents) and the dense embedding of a document.
 */
export function vectorSizes(p: PreparedText, dim: number): { lines: string[]; details: Record<string, number | string> } {
  const V = p.vocab.size;
  const L = p.maxLen;
  const n = p.trainIds.length;
  const docs = (k: number) => Math.min(k, n);
  const oneHot = sparsityReport(oneHotEncode(p.paddedTrain.subarray(0, docs(5) * L), V));
  const bow = sparsityReport(bagOfWords(p.trainIds.slice(0, docs(200)), V));
  const mib = (values: number) => {
    const m = (values * 4) / 2 ** 20;
    return m >= 1024 ? `${(m / 1024).toFixed(2)} GiB` : `${m.toFixed(1)} MiB`;
  };
  const pct = (f: number) => `${(f * 100).toFixed(2)}%`;
  return {
    lines: [
      `Text as vectors (vocabulary V = ${V.toLocaleString('en-US')} words incl. <pad> and <unk>, documents padded to L = ${L} tokens, ${n.toLocaleString('en-US')} training documents):`,
      `  one-hot, a V-vector per token: ${docs(5)} documents → ${oneHot.summary}; the training set would be [${(n * L).toLocaleString('en-US')}, ${V}] = ${mib(n * L * V)}`,
      `  bag of words, a V-vector of counts per document (word order lost): ${docs(200)} documents → ${bow.summary}; the training set: ${mib(n * V)}`,
      `  embedding, a dense ${dim}-vector per token: [${L}, ${dim}] = ${L * dim} numbers per document, no structural zeros; the training set: ${mib(n * L * dim)}; the table [${V}, ${dim}] = ${(V * dim).toLocaleString('en-US')} learnt parameters`,
    ],
    details: {
      'one-hot zeros': pct(oneHot.zeroFraction),
      'one-hot values per document': L * V,
      'bag-of-words zeros': pct(bow.zeroFraction),
      'bag-of-words values per document': V,
      'embedding values per document': L * dim,
    },
  };
}

/**
 * A few telling words per class: the highest naive-Bayes log-likelihood ratio log P(w | c) −
 * max over other classes log P(w | c'), among words seen at least 5 times in training.
 */
export function tellingWords(p: PreparedText, nb: NaiveBayesText, total = 18): { word: string; id: number; cls: number }[] {
  const V = p.vocab.size;
  const C = p.classes.length;
  const counts = new Int32Array(V);
  for (const d of p.trainIds) for (const id of d) counts[id]!++;
  const perClass = Math.max(1, Math.floor(total / C));
  const out: { word: string; id: number; cls: number }[] = [];
  for (let c = 0; c < C; c++) {
    const scored: { id: number; s: number }[] = [];
    for (let w = 2; w < V; w++) {
      if (counts[w]! < 5) continue;
      let other = -Infinity;
      for (let o = 0; o < C; o++) if (o !== c) other = Math.max(other, nb.logLikelihood[o * V + w]!);
      scored.push({ id: w, s: nb.logLikelihood[c * V + w]! - other });
    }
    scored.sort((a, b) => b.s - a.s || a.id - b.id);
    for (const { id } of scored.slice(0, perClass)) out.push({ word: p.vocab.tokens[id]!, id, cls: c });
  }
  return out;
}

/** Rows `ids` of an embedding table [V, dim], and their cosine similarities. */
export function embeddingRows(table: Tensor<[number, number]>, ids: readonly number[]): { rows: number[][]; cosine: number[][] } {
  const [, dim] = table.shape;
  const data = table.dataSync();
  const rows = ids.map((id) => Array.from(data.subarray(id * dim, (id + 1) * dim)));
  const norm = rows.map((r) => Math.sqrt(r.reduce((s, v) => s + v * v, 0)) || 1);
  const cosine = rows.map((a, i) => rows.map((b, j) => a.reduce((s, v, k) => s + v * b[k]!, 0) / (norm[i]! * norm[j]!)));
  return { rows, cosine };
}

/** Mean cosine between different words of the same class, and of different classes. */
export function cosineByClass(cosine: readonly (readonly number[])[], cls: readonly number[]): { same: number; different: number } {
  let same = 0;
  let nSame = 0;
  let different = 0;
  let nDifferent = 0;
  cosine.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i === j) return;
      if (cls[i] === cls[j]) {
        same += v;
        nSame++;
      } else {
        different += v;
        nDifferent++;
      }
    }),
  );
  return { same: nSame > 0 ? same / nSame : Number.NaN, different: nDifferent > 0 ? different / nDifferent : Number.NaN };
}

function historyPlots(h: History): ExamplePlot[] {
  return [
    { title: 'Loss per epoch (train and test)', spec: lines({ train: h.loss, test: h.valLoss }, { y: 'cross-entropy' }) },
    { title: 'Accuracy per epoch (train and test)', spec: lines({ train: h.metrics['accuracy'] ?? [], test: h.valMetrics['accuracy'] ?? [] }, { y: 'accuracy' }) },
  ];
}

const seconds = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / 1e6;

/** The whole example: load, split, baseline, train, evaluate, report. */
export async function runTextCnn<P extends readonly [{ readonly embeddings: Tensor<[number, number]> }, ...unknown[]]>(
  ctx: ExampleContext,
  spec: TextCnnSpec<P>,
): Promise<ExampleResult> {
  const cpu0 = process.cpuUsage();
  const wall0 = Date.now();
  const data = loadTexts(ctx, spec);
  const p = prepare(data, spec.splitSeed, ctx.quick);
  const C = p.classes.length;
  ctx.log(
    `${data.source}: ${data.labels.length} rows, ${C} classes; ${p.trainIds.length} train / ${p.testIds.length} test ` +
      `(shuffled ${TRAIN_FRACTION * 100}/${100 - TRAIN_FRACTION * 100} split, key ${spec.splitSeed}${ctx.quick ? ', quick slice' : ''}); ` +
      `vocabulary ${p.vocab.size} words from the training rows; padded to ${p.maxLen} tokens`,
  );
  const nb = naiveBayesBaseline(p);
  ctx.log(`baseline: word-level multinomial naive Bayes, test accuracy ${nb.accuracy.toFixed(4)}`);

  const model = spec.build(p.vocab.size, p.maxLen, C);
  const [initKey, fitKey] = split(key(spec.seed), 2);
  const epochs = ctx.quick ? spec.epochs.quick : spec.epochs.full;
  const bar = ctx.progress(`${spec.id}: TextCNN (adam)`, epochs);
  const cpuFit0 = process.cpuUsage();
  const fitted = await fitAsync(model.init(initKey), {
    model,
    loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
    optimizer: adam({ learningRate: spec.learningRate }),
    data: { x: p.xTrain, y: fromDataOrThrow(p.yTrain, [p.yTrain.length], { dtype: 'int32' }) },
    // the test rows are only monitored for the curves; nothing is chosen on them
    validation: { x: p.xTest, y: fromDataOrThrow(p.yTest, [p.yTest.length], { dtype: 'int32' }) },
    validationBatchSize: 512,
    epochs,
    batchSize: spec.batchSize,
    key: fitKey,
    metrics: { accuracy: (logits, labels) => accuracy(logits, labels) },
    onEpoch: (e) => bar.update(e.epoch + 1, { loss: e.loss, acc: e.metrics['accuracy'] ?? Number.NaN, 'test loss': e.valLoss ?? Number.NaN, 'test acc': e.valMetrics['accuracy'] ?? Number.NaN }),
  });
  bar.stop();
  const fitCpu = seconds(process.cpuUsage(cpuFit0));

  const params = fitted.params;
  const predicted = argmax(model.apply(params, p.xTest), -1).dataSync();
  const testAcc = accuracyOf(p.yTest, predicted);
  const cm = confusionMatrix(p.yTest, predicted, C);
  const cmRows = Array.from({ length: C }, (_, i) => Array.from(cm.data.subarray(i * C, (i + 1) * C)));

  const table = params[0].embeddings;
  const dim = table.shape[1];
  const vectors = vectorSizes(p, dim);
  const words = tellingWords(p, nb.model, Math.max(12, Math.min(30, 3 * C)));
  const wordLabels = words.map((w) => `${w.word} (${p.classes[w.cls]})`);
  const emb = embeddingRows(table, words.map((w) => w.id));
  const cos = cosineByClass(emb.cosine, words.map((w) => w.cls));
  const plots: ExamplePlot[] = [
    ...historyPlots(fitted.history),
    { title: 'Confusion matrix on the test set (rows: true class, columns: predicted)', spec: confusion(cmRows, p.classes) },
  ];
  if (words.length > 0) {
    plots.push(
      {
        title: `Learnt ${dim}-dimensional embedding vectors of the most class-specific training words (naive Bayes log-likelihood ratio; blue negative, red positive)`,
        spec: heatmap(emb.rows, { rowLabels: wordLabels, colLabels: emb.rows[0]!.map((_, j) => String(j)), x: 'embedding dimension', y: 'word', cell: 9 }),
      },
      {
        title: `Cosine similarity of those embedding vectors (mean ${cos.same.toFixed(2)} within a class, ${cos.different.toFixed(2)} across classes)`,
        spec: heatmap(emb.cosine, { rowLabels: wordLabels, colLabels: wordLabels, cell: 14 }),
      },
    );
  }
  const cpu = seconds(process.cpuUsage(cpu0));
  const wall = (Date.now() - wall0) / 1000;
  ctx.log(`TextCNN test accuracy ${testAcc.toFixed(4)} (naive Bayes ${nb.accuracy.toFixed(4)}); ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (training ${fitCpu.toFixed(1)} s CPU)`);
  return {
    metric: 'test accuracy',
    value: testAcc,
    target: spec.target,
    lowerIsBetter: false,
    baseline: nb.accuracy,
    baselineName: 'word-level multinomial naive Bayes (same split and vocabulary)',
    details: {
      'train accuracy (last epoch, dropout on)': fitted.history.metrics['accuracy']?.at(-1) ?? Number.NaN,
      'test loss (last epoch)': fitted.history.valLoss.at(-1) ?? Number.NaN,
      epochs: fitted.epochs,
      classes: p.classes.join(', '),
      'train / test rows': `${p.trainIds.length} / ${p.testIds.length}`,
      vocabulary: p.vocab.size,
      'padded length': p.maxLen,
      ...vectors.details,
      'embedding cosine, telling words of the same class': cos.same,
      'embedding cosine, telling words of different classes': cos.different,
      'CPU seconds': Number(cpu.toFixed(1)),
      'wall seconds': Number(wall.toFixed(1)),
    },
    plots,
    notes: [model.summary(params), vectors.lines.join('\n'), `Most class-specific words (naive Bayes): ${wordLabels.join(', ')}; mean cosine of their learnt vectors ${cos.same.toFixed(2)} within a class, ${cos.different.toFixed(2)} across classes`],
  };
}
