/**
 * Data utilities on plain arrays (no tensors): scalers, windowing, splits, text encoding,
 * readers, an n-gram model, samplers, metrics and baselines. Node-only file/gzip helpers live
 * in ./node and are deliberately not re-exported here, so browser bundles stay free of node:*.
 */
export type { Array2D, DataError, DataErrorCode } from './types';
export { MinMaxScaler, FittedMinMaxScaler, StandardScaler, FittedStandardScaler } from './scalers';
export type { Rows, MinMaxScalerOptions } from './scalers';
export { createDataset, persistenceForecast, seasonalNaiveForecast } from './timeseries';
export type { WindowDataset, Forecast } from './timeseries';
export { trainTestSplitOrdered, trainTestSplitShuffled, trainSize, assertPermutation, batchIndices } from './splits';
export type { Split, BatchOptions } from './splits';
export {
  Vocabulary,
  charTokenize,
  wordTokenize,
  encodeLabels,
  padSequences,
  oneHotEncode,
  fitIdf,
  bagOfWords,
  sparsityReport,
} from './text';
export type { TokenizeOptions, VocabularyOptions, PadOptions, BagOfWordsOptions, SparsityReport } from './text';
export { parseCsv, parseLabelTextCsv, parseNumericColumn, parseDecimal, parseTsvPairs } from './csv';
export type { CsvOptions, CsvTable, TsvPairsOptions, TsvPairs } from './csv';
export { parseIdx, encodeIdx, isGzip, IDX_DTYPES } from './idx';
export type { IdxArray, IdxData, IdxDtype, ParseIdxOptions } from './idx';
export { NGramModel, UNK_CHAR } from './ngram';
export type { NGramOptions } from './ngram';
export { sampleGreedy, sampleTemperature, sampleTopK } from './sampling';
export { accuracy, confusionMatrix, rmse, mae, editDistance, phonemeErrorRate } from './metrics';
export { NaiveBayesText } from './naiveBayes';
export type { NaiveBayesOptions } from './naiveBayes';
