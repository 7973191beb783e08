/**
 * The PNG folder reader (folder/<class>/*.png, as Keras' image_dataset_from_directory and
 * torchvision's ImageFolder lay it out): grey conversion, label order, every Left, and the
 * CNN example trained on such a folder end to end.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { either as E } from 'fp-ts';
import { PNG, type PNGOptions } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePngGrey, readPngFolder } from '../src/data/png-folder';
import { readImageSet } from '../src/data/image-files';
import type { ExampleContext } from '../src/examples/example';
import { example as digits } from '../src/examples/cnn-digits';

/** Encodes an RGBA image (one [r, g, b, a] per pixel, row-major) as PNG bytes. */
function png(width: number, height: number, rgba: (i: number) => [number, number, number, number], options: PNGOptions = {}): Buffer {
  const img = new PNG({ width, height, ...options });
  for (let i = 0; i < width * height; i++) img.data.set(rgba(i), 4 * i);
  return PNG.sync.write(img, options);
}

/** A grey square: pixel i has value v(i) in 0..255, opaque. */
const greyPng = (side: number, v: (i: number) => number, options: PNGOptions = {}) => png(side, side, (i) => [v(i), v(i), v(i), 255], options);

/** A 16-bit grey square: pixel i has value v(i) in 0..65535 (pngjs takes 16-bit input as native-endian uint16 RGBA). */
function grey16Png(side: number, v: (i: number) => number): Buffer {
  const rgba = new Uint16Array(side * side * 4);
  for (let i = 0; i < side * side; i++) rgba.set([v(i), v(i), v(i), 65535], 4 * i);
  const img = new PNG({ width: side, height: side, bitDepth: 16 });
  img.data = Buffer.from(rgba.buffer);
  return PNG.sync.write(img, { colorType: 0, bitDepth: 16, inputHasAlpha: true });
}

/** A palette (colour type 3) PNG built chunk by chunk: pngjs writes no palettes. */
function palettePng(side: number, palette: readonly [number, number, number][], index: (i: number) => number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // 8-bit indices, colour type 3, deflate, no filter, no interlace
  const rows = Buffer.alloc(side * (side + 1));
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) rows[r * (side + 1) + 1 + c] = index(r * side + c);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'png-folder-'));

/** Writes dir/<class>/<name>.png for each entry. */
function folder(files: Record<string, Record<string, Buffer | string>>): string {
  const dir = tmp();
  for (const [cls, imgs] of Object.entries(files)) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (const [name, bytes] of Object.entries(imgs)) writeFileSync(join(dir, cls, name), bytes);
  }
  return dir;
}

describe('decodePngGrey', () => {
  it('grey 8-bit, 16-bit and colour PNGs: Rec. 601 luminance, composited over black by alpha, scaled to [0, 1]', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'g.png'), greyPng(2, (i) => [0, 51, 204, 255][i]!, { colorType: 0 }));
    writeFileSync(join(dir, 'g16.png'), grey16Png(2, (i) => [0, 51, 204, 255][i]! * 257));
    // pure red, green, blue and half-transparent white
    const colours: [number, number, number, number][] = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 128]];
    writeFileSync(join(dir, 'c.png'), png(2, 2, (i) => colours[i]!, { colorType: 6 }));
    const g = decodePngGrey(join(dir, 'g.png'));
    const g16 = decodePngGrey(join(dir, 'g16.png'));
    const c = decodePngGrey(join(dir, 'c.png'));
    expect(E.isRight(g) && E.isRight(g16) && E.isRight(c)).toBe(true);
    if (!E.isRight(g) || !E.isRight(g16) || !E.isRight(c)) return;
    expect(g.right.width).toBe(2);
    expect(readFileSync(join(dir, 'g16.png'))[24]).toBe(16); // IHDR bit depth: the file really is 16-bit
    expect(Array.from(g.right.grey).map((v) => Math.round(v * 255))).toEqual([0, 51, 204, 255]);
    expect(Array.from(g16.right.grey).map((v) => Math.round(v * 255))).toEqual([0, 51, 204, 255]);
    const expected = [0.299, 0.587, 0.114, 128 / 255];
    Array.from(c.right.grey).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('a file that is not a PNG is a Left image-decode naming the file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.png'), 'not a png at all');
    const truncated = greyPng(4, (i) => i * 10);
    writeFileSync(join(dir, 't.png'), truncated.subarray(0, truncated.length - 20));
    for (const name of ['x.png', 't.png']) {
      const r = decodePngGrey(join(dir, name));
      expect(E.isLeft(r) && r.left.code).toBe('image-decode');
      expect(E.isLeft(r) && r.left.message).toContain(name);
    }
  });
});

describe('readPngFolder', () => {
  it('reads every class folder in order: numeric class names sort numerically, hidden files are ignored', () => {
    const dir = folder({
      '10': { 'a.png': greyPng(3, () => 250) },
      '2': { 'a.png': greyPng(3, () => 100), 'b.PNG': greyPng(3, () => 110), '.DS_Store': 'junk' },
      '1': { 'z.png': greyPng(3, (i) => i) },
    });
    const r = readPngFolder(dir);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    const s = r.right;
    expect(s.classNames).toEqual(['1', '2', '10']);
    expect(s.n).toBe(4);
    expect(s.side).toBe(3);
    expect(s.pixelScale).toBe(255);
    // folders are read in name order ('1', '10', '2'), images in name order within each
    expect(Array.from(s.y)).toEqual([0, 2, 1, 1]);
    const byImage = Array.from({ length: s.n }, (_, k) => Math.round(s.x[k * 9 + 8]! * 255));
    const labelOf = Array.from(s.y, (c) => s.classNames[c]);
    // pair each image's last pixel with its label: '1' → 8 (i = 8), '2' → 100 / 110, '10' → 250
    const pairs = labelOf.map((l, k) => `${l}:${byImage[k]}`).sort();
    expect(pairs).toEqual(['10:250', '1:8', '2:100', '2:110']);
    expect(s.x.length).toBe(4 * 9);
  });

  it('palette, RGBA and grey PNGs of the same picture decode to the same grey', () => {
    const levels = [0, 85, 170, 255];
    const grey = greyPng(2, (i) => levels[i]!, { colorType: 0 });
    const rgba = png(2, 2, (i) => [levels[i]!, levels[i]!, levels[i]!, 255], { colorType: 6 });
    const pal = palettePng(2, levels.map((v) => [v, v, v] as [number, number, number]), (i) => i);
    const dir = folder({ a: { 'grey.png': grey }, b: { 'rgba.png': rgba }, c: { 'pal.png': pal } });
    const r = readPngFolder(dir);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    const x = Array.from(r.right.x);
    expect(x.slice(0, 4).map((v) => Math.round(v * 255))).toEqual(levels);
    expect(x.slice(4, 8)).toEqual(x.slice(0, 4));
    expect(x.slice(8, 12)).toEqual(x.slice(0, 4));
  });

  it('every malformed folder is a Left with a code and the offending path', () => {
    const cases: [string, string, RegExp][] = [];
    const ok = greyPng(4, () => 9);
    const flat = tmp();
    writeFileSync(join(flat, 'a.png'), ok);
    cases.push([flat, 'image-folder', /found no sub-folders/]);
    const stray = folder({ a: { 'x.png': ok } });
    writeFileSync(join(stray, 'README.txt'), 'hello');
    cases.push([stray, 'image-folder', /found file README\.txt/]);
    cases.push([folder({ a: { 'x.png': ok }, b: { 'notes.txt': 'hi' } }), 'image-folder', /notes\.txt: expected only \.png files/]);
    cases.push([folder({ a: { 'x.png': ok }, b: {} }), 'empty-data', /class 'b' has no PNG images/]);
    cases.push([folder({ a: { 'x.png': ok }, b: { 'y.png': 'garbage' } }), 'image-decode', /y\.png: not a readable PNG/]);
    cases.push([folder({ a: { 'x.png': png(4, 3, () => [0, 0, 0, 255]) } }), 'image-not-square', /x\.png: the image is 4x3/]);
    cases.push([folder({ a: { 'x.png': ok }, b: { 'y.png': greyPng(5, () => 0) } }), 'image-size-mismatch', /y\.png: the image is 5x5, but .*x\.png is 4x4/]);
    cases.push([join(tmp(), 'missing'), 'io-error', /cannot list/]);
    for (const [dir, code, message] of cases) {
      const r = readPngFolder(dir);
      expect(E.isLeft(r) && r.left.code, dir).toBe(code);
      expect(E.isLeft(r) && r.left.message).toMatch(message);
    }
  });

  it('readImageSet takes a folder as a PNG set, and refuses --labels with a folder', () => {
    const dir = folder({ a: { 'x.png': greyPng(4, () => 9) }, b: { 'y.png': greyPng(4, () => 200) } });
    const r = readImageSet(dir);
    expect(E.isRight(r) && r.right.classNames).toEqual(['a', 'b']);
    const withLabels = readImageSet(dir, join(dir, 'labels.idx'));
    expect(E.isLeft(withLabels) && withLabels.left.code).toBe('image-label-mismatch');
    expect(E.isLeft(withLabels) && withLabels.left.message).toMatch(/takes its labels from its class sub-folders/);
  });
});

describe('cnn-digits on a PNG folder (--data my-digits/)', () => {
  it('trains on 3 classes of 6x6 PNG bars and reports the folder as its provenance', async () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const files: Record<string, Record<string, Buffer>> = { up: {}, mid: {}, low: {} };
    const classes = ['up', 'mid', 'low'] as const;
    for (let i = 0; i < 90; i++) {
      const k = i % 3;
      // class k: a bright band over rows 2k and 2k + 1, in colour (so grey conversion runs)
      files[classes[k]!]![`img${String(i).padStart(3, '0')}.png`] = png(6, 6, (p) => {
        const on = Math.floor(Math.floor(p / 6) / 2) === k;
        const v = Math.floor((on ? 180 : 20) + rnd() * 60);
        return [v, Math.floor(v * 0.9), v, 255];
      });
    }
    const dir = folder(files);
    const ctx: ExampleContext = { quick: true, dataDir: '/nonexistent', dataFile: dir, progress: () => ({ update: () => {}, stop: () => {} }), log: () => {} };
    const r = await digits.run(ctx);
    expect(r.target).toBeNull();
    expect(r.details?.['rows (images)']).toBe(90);
    expect(r.details?.['columns used']).toBe('6x6 PNG pixels per image, 3 class folders');
    expect(r.details?.['classes']).toBe('3 (low, mid, up)');
    expect(r.details?.['pixel scaling']).toBe('divided by 255');
    expect(Number.isFinite(r.value)).toBe(true);
  });
});
