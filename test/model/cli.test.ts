// `npm start` (src/cli/mnist.ts): trains, saves a model that loads and scores the same, and prints
// the final `test accuracy:` line; the CNN by default, the MLP with --mlp. Native only (about ten
// seconds together); skipped visibly otherwise. A low --target keeps each run to one or two epochs.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { defaultOptions, parseArgs, runMnist, type MnistCliOptions } from '../../src/cli/mnist';
import { loadMnist } from '../../src/data/mnist';
import { loadModel } from '../../src/index';
import { getBackend } from '../../src/backend';
import { testTempDir } from '../helpers/temp';

const native = (() => {
  try {
    return getBackend() === 'native';
  } catch {
    return false;
  }
})();
const suite = native ? describe : describe.skip;
if (!native) console.warn('[oxnet tests] npm start test SKIPPED: the active backend is not native');

describe('npm start options', () => {
  it('the CNN by default (target 0.975), the MLP with --mlp (target 0.94); --max-epochs caps, bad values refused', () => {
    expect(parseArgs([])).toEqual(defaultOptions('cnn'));
    expect(parseArgs([]).target).toBe(0.975);
    expect(parseArgs(['--mlp'])).toMatchObject({ model: 'mlp', target: 0.94, out: 'mnist-mlp.oxnet' });
    expect(parseArgs(['--max-epochs', '2', '--mlp', '--target', '0.5'])).toMatchObject({ model: 'mlp', epochs: 2, target: 0.5 });
    expect(() => parseArgs(['--epochs', '0'])).toThrow(/--epochs 0/);
    expect(() => parseArgs(['--target', '1.5'])).toThrow(/--target 1.5/);
  });
});

async function runQuiet(opts: MnistCliOptions): Promise<{ r: Awaited<ReturnType<typeof runMnist>>; text: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
  try {
    return { r: await runMnist(opts), text: lines.join('') };
  } finally {
    spy.mockRestore();
  }
}

suite('npm start (MNIST, native)', () => {
  it.each([
    // Epoch 1 test accuracy seen with seed 1: CNN 0.9535, MLP 0.9060 (W2 passes 0.90 within 2 epochs).
    ['cnn', 1],
    ['mlp', 2],
  ] as const)('%s: stops at the target accuracy, prints it, saves a loadable model and writes the report beside it', async (model, maxEpochs) => {
    const out = testTempDir('oxnet-cli-').file('m.oxnet');
    const { r, text } = await runQuiet({ ...defaultOptions(model), epochs: 5, target: 0.9, out });
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.epochs).toBeLessThanOrEqual(maxEpochs);
    expect(text).toContain(model === 'cnn' ? 'MNIST CNN' : 'MNIST MLP');
    expect(text).toMatch(new RegExp(`test accuracy: ${r.accuracy.toFixed(4)}\\n$`));
    const m = loadMnist();
    expect(loadModel(out).evaluate(m.testX, m.testY).accuracy).toBe(r.accuracy);
    // the report beside the model, its path printed; its confusion matrix covers the 2000 test digits
    expect(r.report).toBe(out.replace(/\.oxnet$/, '.html'));
    expect(existsSync(r.report)).toBe(true);
    expect(text).toContain(`wrote the training report to ${r.report}`);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(readFileSync(r.report, 'utf8'))![1]);
    expect(data.classifier.matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(2000);
    expect(data.classifier.accuracy).toBeCloseTo(r.accuracy, 10);
    expect(data.curves.charts.map((c: { title: string }) => c.title)).toEqual(['loss', 'accuracy']);
    expect(data.batches.batches).toBe(r.epochs * Math.ceil(8000 / (model === 'cnn' ? 32 : 64)));
  });
});
