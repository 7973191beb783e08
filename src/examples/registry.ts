/** The tour's examples, in the study guide's order. */
import type { Example } from './example';
import { example as mlpFit } from './mlp-fit';
import { example as vanishingGradient } from './vanishing-gradient';
import { example as ngramPride } from './ngram-pride';
import { example as charlmPride } from './charlm-pride';
import { example as transformerG2p } from './transformer-g2p';
import { example as textcnnWordnet } from './textcnn-wordnet';
import { example as textcnnAusten } from './textcnn-austen';
import { example as rnnAir } from './rnn-airpassengers';
import { example as lstmAir } from './lstm-airpassengers';
import { example as cnnDigits } from './cnn-digits';
import { example as cnnMnist } from './cnn-mnist';

export const examples: readonly Example[] = [mlpFit, vanishingGradient, cnnDigits, cnnMnist, textcnnWordnet, textcnnAusten, rnnAir, lstmAir, ngramPride, charlmPride, transformerG2p];
