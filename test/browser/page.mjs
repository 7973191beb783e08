// The page's script, bundled by esbuild with the package resolved as a consumer resolves it
// ('shapeflow' → the ESM build, through package.json exports): trains, then posts the result
// (or the error) back to the server that served the page.
import * as sf from 'shapeflow';
import { train } from './train.mjs';

const post = (path, body) => fetch(path, { method: 'POST', body: JSON.stringify(body) });
addEventListener('error', (e) => post('error', { message: String(e.message), where: `${e.filename}:${e.lineno}` }));
train(sf).then(
  (result) => post('result', { ...result, crossOriginIsolated: globalThis.crossOriginIsolated === true }),
  (e) => post('error', { message: String(e?.stack ?? e) }),
);
