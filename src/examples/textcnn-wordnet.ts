/**
 * textcnn-wordnet: WordNet noun glosses ("a domesticated carnivorous mammal ...") → one of six
 * categories with a TextCNN (Kim 2014): word embeddings, parallel convolutions over 2-, 3- and
 * 4-word windows (short glosses), a max over the sentence per filter, the branches
 * concatenated, dropout and a dense softmax layer. Compared with word-level naive Bayes on the same split; the notes show
 * what one-hot, bag-of-words and embedding encodings of this vocabulary cost.
 */
import { sequential } from '../nn/sequential';
import { dense, dropout } from '../nn/layers/core';
import { embedding } from '../nn/layers/embedding';
import { textCnnBlock } from '../nn/layers/combinators';
import type { Example } from './example';
import { TEXT_CSV_FORMAT, runTextCnn } from './textcnn-common';

// [batch, maxLen] int32 ids → [batch, maxLen, 32] vectors → 3 branches of 64 filters, each max-pooled
// over the sentence, concatenated → [batch, 192] → [batch, classes] logits
export const wordnetModel = (vocabSize: number, maxLen: number, classes: number) =>
  sequential(
    ['batch', maxLen],
    embedding(vocabSize, 32),
    textCnnBlock({ filters: 64, kernelSizes: [2, 3, 4] }),
    dropout(0.5),
    dense(classes),
  );

export const example: Example = {
  id: 'textcnn-wordnet',
  title: 'TextCNN on WordNet glosses: text as vectors, short/middle/long kernels',
  description:
    'Definitions of 3,600 WordNet nouns are classified as animal, artifact, food, location, person or plant. Each gloss becomes word ids ' +
    '(vocabulary from the training rows only), padded to a fixed length; an embedding turns each id into a dense 32-vector, and ' +
    '64 convolution filters on each of 2-, 3- and 4-word windows, max-pooled over the sentence and concatenated, feed a dropout and a softmax layer. ' +
    'Compared with word-level naive Bayes on the same shuffled 80/20 split; the notes contrast one-hot, bag-of-words and embedding ' +
    'sizes and sparsity for this vocabulary, and the plots show the learning curves, the confusion matrix and learnt word vectors.',
  dataFormat: TEXT_CSV_FORMAT,
  run: (ctx) =>
    runTextCnn(ctx, {
      id: 'textcnn-wordnet',
      defaultFile: 'wordnet-gloss-6class.csv',
      build: wordnetModel,
      epochs: { full: 5, quick: 2 },
      batchSize: 32,
      learningRate: 3e-3,
      target: 0.8,
      splitSeed: 0,
      seed: 7,
    }),
};
