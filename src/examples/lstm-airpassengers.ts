/**
 * lstm-airpassengers: the Keras time-series recipe with LSTM(50) → Dense(1) on AirPassengers (or a
 * --data series), forecasting one step ahead; the period, transform and look-back are chosen
 * on the training part (see ./airpassengers-common).
 */
import { sequential } from '../nn/sequential';
import { dense } from '../nn/layers/core';
import { lstm } from '../nn/layers/recurrent';
import type { Example } from './example';
import { AIRPASSENGERS_FORMAT, runForecastExample } from './airpassengers-common';

export const example: Example = {
  id: 'lstm-airpassengers',
  title: 'LSTM forecasting AirPassengers (transform and look-back chosen on the training part)',
  description:
    'A LSTM(50) → Dense(1) network forecasts each month one step ahead from the previous ones. The transform ' +
    '(raw or log; levels, month-to-month or seasonal difference) and the look-back are chosen on the first 96 months ' +
    'alone (trained on 64, validated on 32), MinMax-scaled on the training part; the test third (1957-1960) is ' +
    'forecast from actual values and compared in passengers with the persistence and seasonal-naive forecasts.',
  dataFormat: AIRPASSENGERS_FORMAT,
  run: (ctx) =>
    runForecastExample(ctx, {
      name: 'LSTM(50)',
      build: (lookBack) => sequential(['batch', lookBack, 1], lstm(50), dense(1)),
      // The LSTM fits more slowly than the SimpleRNN (training loss still falling at 100 epochs,
      // levelling off near 300). With the seed recipe alone seeds 0-7 at 300 epochs gave test RMSE
      // 16.9-18.9 (seed 2: 18.05); with the selection on the training part seed 2 gives 15.34
      // (18 candidate trainings: ~25x the CPU time of the single run).
      full: { epochs: 300, batchSize: 8, learningRate: 1e-3 },
      quick: { epochs: 20, batchSize: 8, learningRate: 1e-3 },
      seed: 2,
    }),
};
