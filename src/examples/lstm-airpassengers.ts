/**
 * lstm-airpassengers: the Keras time-series recipe with LSTM(50) → Dense(1) on
 * AirPassengers, forecasting the next month from the last 12 (see ./airpassengers-common for
 * the data pipeline and why it models log changes).
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
      // The LSTM fits more slowly than the SimpleRNN: its training loss is still falling at 100
      // epochs (0.016, test RMSE 19-22 over 8 seeds) and levels off near 0.009 by 300. Seeds 0-7
      // at 300 epochs give test RMSE 16.9-18.9 (median 17.9); seed 2 (18.05) is a typical one.
      full: { epochs: 300, batchSize: 8, learningRate: 1e-3 },
      quick: { epochs: 20, batchSize: 8, learningRate: 1e-3 },
      seed: 2,
    }),
};
