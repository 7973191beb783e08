/**
 * Node-only: reads a labelled image set from files — an IDX image file with its IDX label
 * file (`.gz` or not, detected by content), or a `label,pixel…` CSV — as an Either.
 */
import { either as E, function as F } from 'fp-ts';
import { imagesFromIdx, parseLabelPixelCsv, type LabelledImages } from './images';
import { readIdxFile, readTextFileEither } from './node';
import { dataError, type DataError } from './types';

const inFile = (path: string) => (e: DataError): DataError => ({ ...e, message: `${path}: ${e.message}` });

/**
 * With `labelsPath`: `imagesPath` is IDX images and `labelsPath` IDX labels. Without it:
 * `imagesPath` is a `label,pixel…` CSV. An IDX image file given without labels is a Left that
 * asks for them.
 */
export function readImageSet(imagesPath: string, labelsPath?: string): E.Either<DataError, LabelledImages> {
  if (labelsPath !== undefined) {
    return F.pipe(
      E.Do,
      E.apS('images', E.mapLeft(inFile(imagesPath))(readIdxFile(imagesPath))),
      E.apS('labels', E.mapLeft(inFile(labelsPath))(readIdxFile(labelsPath))),
      E.chain(({ images, labels }) => E.mapLeft(inFile(imagesPath))(imagesFromIdx(images, labels))),
    );
  }
  const idx = readIdxFile(imagesPath);
  if (E.isRight(idx)) {
    return E.left(dataError('image-label-mismatch', `${imagesPath}: an IDX image file needs its label file (--labels <idx>)`, { expected: 'a labels file', found: 'none' }));
  }
  return F.pipe(readTextFileEither(imagesPath), E.chain(parseLabelPixelCsv), E.mapLeft(inFile(imagesPath)));
}
