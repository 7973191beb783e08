/**
 * What an editor's hover shows for Transformer values: the names TypeScript prints for their
 * types must be public, importable names (not internal aliases such as the former `TP<...>`).
 * expectTypeOf compares structure only, so this asks the compiler itself (typeToString, the text
 * of a hover) about a small program that imports the package's entry point.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const probePath = join(root, 'test', '__transformer_hover_probe__.ts');
const probe = `
import { nn, key, type Tensor } from '../src/index';
const k = key(0);
const model = nn.transformer({ srcVocab: 30000, tgtVocab: 30000, dModel: 512, numHeads: 8, ffDim: 2048, numEncoderLayers: 6, numDecoderLayers: 6, maxLen: 128 });
export const params = model.init(k);
const pre = nn.transformer({ srcVocab: 100, tgtVocab: 90, dModel: 64, numHeads: 4, ffDim: 128, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 16, normFirst: true });
export const preParams = pre.init(k);
export const selfAttention = params.encoder[0]!.selfAttention;
export const encoderLayer = nn.transformerEncoderLayer({ numHeads: 4, ffDim: 128 });
export const stack = nn.sequential(['batch', 'seq', 64], nn.sinusoidalPositionalEncoding(), encoderLayer);
export const decoderParams = nn.transformerDecoderLayer({ numHeads: 4, ffDim: 128 }).init(k, 64);
declare const src: Tensor<['batch', 12], 'int32'>;
export const logits = model.forward(params, src, src);
`;

/** the printed type of every exported const of the probe, and the probe's diagnostics */
function hovers(): { types: Map<string, string>; errors: string[] } {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('tsconfig.json not found');
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => (name === probePath ? ts.createSourceFile(name, probe, lang) : getSourceFile.call(host, name, lang, ...rest));
  host.fileExists = (name) => name === probePath || fileExists.call(host, name);
  host.readFile = (name) => (name === probePath ? probe : readFile.call(host, name));
  const program = ts.createProgram([probePath], { ...config.options, noEmit: true }, host);
  const sf = program.getSourceFile(probePath)!;
  const checker = program.getTypeChecker();
  const errors = ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const types = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) types.set(d.name.getText(sf), checker.typeToString(checker.getTypeAtLocation(d.name), undefined, ts.TypeFormatFlags.NoTruncation));
  }
  return { types, errors };
}

describe('Transformer hovers show public names', () => {
  it('params, blocks and layers print as exported aliases', () => {
    const { types, errors } = hovers();
    expect(errors).toEqual([]);
    expect(types.get('params')).toBe('TransformerParams<30000, 30000, 512, 8, 2048>');
    expect(types.get('preParams')).toBe('PreNormTransformerParams<100, 90, 64, 4, 128>');
    expect(types.get('selfAttention')).toBe('SelfAttentionParams<512, 8>');
    expect(types.get('encoderLayer')).toBe('TransformerEncoderLayer<4, 128>');
    expect(types.get('decoderParams')).toBe('DecoderLayerParams<64, 4, 128>');
    expect(types.get('logits')).toBe('Tensor<["batch", 12, 30000], "float32">');
    // a model's hover names its layers instead of spelling out their members
    expect(types.get('stack')).toBe(
      'Model<readonly ["batch", "seq", 64], readonly [Layer<SinusoidalKind, "sinusoidalPositionalEncoding">, TransformerEncoderLayer<4, 128>]>',
    );
    // that these names are exported under nn is asserted by test/nn-transformer.test-d.ts
  }, 60_000);
});
