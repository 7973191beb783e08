/**
 * textcnn-austen: which of six Jane Austen novels a sentence comes from, with the same
 * TextCNN recipe as textcnn-wordnet. Much harder: the novels share a style, and a sentence
 * without a character's name often carries no trace of its book; naive Bayes on words gets
 * about half right. No target — the interest is how far the same model gets.
 */
import { sequential } from '../nn/sequential';
import { dense, dropout } from '../nn/layers/core';
import { embedding } from '../nn/layers/embedding';
import { textCnnBlock } from '../nn/layers/combinators';
import type { Example } from './example';
import { TEXT_CSV_FORMAT, runTextCnn } from './textcnn-common';

// as textcnn-wordnet, with the longer 3-, 4- and 5-word windows of Kim (2014) for longer sentences
export const austenModel = (vocabSize: number, maxLen: number, classes: number) =>
  sequential(
    ['batch', maxLen],
    embedding(vocabSize, 32),
    textCnnBlock({ filters: 64, kernelSizes: [3, 4, 5] }),
    dropout(0.5),
    dense(classes),
  );

export const example: Example = {
  id: 'textcnn-austen',
  title: 'TextCNN: which Austen novel is this sentence from?',
  description:
    'Sentences from Emma, Mansfield Park, Northanger Abbey, Persuasion, Pride and Prejudice and Sense and Sensibility (500 each) ' +
    'go through the same recipe as the WordNet example: word ids from a training-only vocabulary, an embedding, 3-, 4- and 5-word ' +
    'convolutions max-pooled and concatenated, dropout, softmax. The books share one style, so this is hard: word-level naive Bayes ' +
    'gets about half right, and the confusion matrix and the learnt vectors of each book\'s telling words (mostly its characters\' ' +
    'names) show what the network can use.',
  dataFormat: TEXT_CSV_FORMAT,
  run: (ctx) =>
    runTextCnn(ctx, {
      id: 'textcnn-austen',
      defaultFile: 'austen-6class.csv',
      build: austenModel,
      epochs: { full: 5, quick: 2 },
      batchSize: 32,
      learningRate: 3e-3,
      target: null,
      splitSeed: 0,
      seed: 7,
    }),
};
