/**
 * Node-only: reads a labelled image set from files — an IDX image file with its IDX label
 * file (`.gz` or not, detected by content), a `label,pixel…` CSV, or a folder of PNGs with one
 * sub-folder per class — as an Either.
 */
import { either as E, function as F } from 'fp-ts';
import { imagesFromIdx, parseLabelPixelCsv, type LabelledImages } from './images';
import { readIdxFile, readTextFileEither } from './node';
import { isDirectory, readPngFolder } from './png-folder';
import { dataError, type DataError } from './types';

const inFile = (path: string) => (e: DataError): DataError => ({ ...e, message: `${path}: ${e.message}` });

/**
 * With `labelsPath`: `imagesPath` is IDX images and `labelsPath` IDX labels. Without it:
 * `imagesPath` is a folder of PNGs per class (png-folder.ts) or a `label,pixel…` CSV. An IDX
 * image file given without labels is a Left that asks for them.
 */
export function readImageSet(imagesPath: string, labelsPath?: string): E.Either<DataError, LabelledImages> {
  if (isDirectory(imagesPath)) {
    if (labelsPath !== undefined) {
      return E.left(dataError('image-label-mismatch', `${imagesPath}: a PNG folder takes its labels from its class sub-folders, not from --labels ${labelsPath}`, { expected: 'no labels file', found: labelsPath }));
    }
    return readPngFolder(imagesPath);
  }
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
