// The CLI through its exported main(argv, io): train on CSV files the test writes, predict with
// the saved model, and one clear line (no stack) for each kind of bad input.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { noisyFunction } from '../../src/data/synthetic';
import { saveModel } from '../../src/model/files';
import { dense } from '../../src/layers/dense';
import { Sequential } from '../../src/model/sequential';
import { tempDir } from '../helpers/temp';

const dir = tempDir('oxnet-cli-').path;
const file = (name: string, text?: string) => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

// Two well separated classes of points (label by the sign of a + b), 80 rows.
function twoClassCsv(): string {
  const lines = ['a,b,label'];
  for (let i = 0; i < 80; i++) {
    const a = ((i * 37) % 19) / 19 - 0.5;
    const b = ((i * 11) % 23) / 23 - 0.5;
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 'up' : 'down'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('oxnet train / predict', () => {
  it('--report writes the HTML report of the selected model: its test split, class names, batch losses', async () => {
    const data = file('report.csv', twoClassCsv());
    const report = file('run.html');
    const t = await run([
      'train',
      data,
      '--target',
      'label',
      '--task',
      'classification',
      '--epochs',
      '20',
      '--out',
      file('r.oxnet'),
      '--report',
      report,
      '--quiet',
    ]);
    expect(t.err).toEqual([]);
    expect(t.code).toBe(0);
    expect(t.out.at(-1)).toBe(`wrote the report to ${report}`);
    const html = readFileSync(report, 'utf8');
    const d = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]);
    expect(d.kind).toBe('classifier');
    expect(d.classifier.classes).toEqual(['down', 'up']);
    expect(d.classifier.count).toBe(12); // 15% of 80 rows
    const acc = Number(/test accuracy: ([\d.]+)/.exec(t.out.join('\n'))![1]);
    expect(d.classifier.accuracy.toFixed(4)).toBe(acc.toFixed(4));
    expect(d.curves.charts.map((c: { title: string }) => c.title)).toEqual(['loss', 'accuracy']);
    expect(d.batches.loss.length).toBeGreaterThan(0);
    expect(d.title).toBe('oxnet train report.csv: classification of label, hidden 16');
  });

  it('classification: trains with a size search, saves, predicts class names', async () => {
    const data = file('two.csv', twoClassCsv());
    const model = file('two.oxnet');
    const t = await run([
      'train',
      data,
      '--target',
      'label',
      '--task',
      'classification',
      '--search',
      '2;4',
      '--epochs',
      '150',
      '--seed',
      '3',
      '--out',
      model,
      '--quiet',
    ]);
    expect(t.err).toEqual([]);
    expect(t.code).toBe(0);
    expect(t.out.join('\n')).toMatch(/hidden\s+params/);
    const acc = Number(/test accuracy: ([\d.]+)/.exec(t.out.join('\n'))![1]);
    expect(acc).toBeGreaterThanOrEqual(0.8);
    // a label the model never saw in the (ignored) target column does not matter to predict
    writeFileSync(data, twoClassCsv().replace(',up\n', ',sideways\n'));
    const predOut = file('pred.csv');
    const p = await run(['predict', model, data, '--out', predOut]);
    expect(p.code).toBe(0);
    const rows = readFileSync(predOut, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('label,p(down),p(up)');
    expect(rows.length).toBe(81);
    // predictions agree with the rule a + b > 0 on most rows (the model learned it)
    const truth = twoClassCsv()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[2]);
    const agree = rows.slice(1).filter((r, i) => r.split(',')[0] === truth[i]).length;
    expect(agree / 80).toBeGreaterThan(0.85);
  });

  it('regression: reports test R^2 and predicts in the target units', async () => {
    const d = noisyFunction({ count: 300, seed: 8, noise: 0.05 });
    const lines = ['x1,x2,y'];
    for (let i = 0; i < d.count; i++) lines.push(`${d.x[2 * i]},${d.x[2 * i + 1]},${d.y[i] * 100 + 1000}`);
    const data = file('reg.csv', lines.join('\n'));
    const model = file('reg.oxnet');
    const t = await run(['train', data, '--target', 'y', '--task', 'regression', '--hidden', '16', '--epochs', '300', '--out', model, '--quiet']);
    expect(t.code).toBe(0);
    const r2 = Number(/test R\^2: ([-\d.]+)/.exec(t.out.join('\n'))![1]);
    expect(r2).toBeGreaterThan(0.9);
    // prediction input without the target column; outputs come back around 1000 (target units)
    const p = await run(['predict', model, file('reg-in.csv', 'x1,x2\n0,0\n0.5,-0.5\n')]);
    expect(p.code).toBe(0);
    const values = p.out[0].split('\n').slice(1).map(Number);
    // f(0, 0) = 0 -> 1000; f(0.5, -0.5) = sin(1.5) + 0.125 = 1.1225 -> 1112.25 (closed form)
    expect(Math.abs(values[0] - 1000)).toBeLessThan(15);
    expect(Math.abs(values[1] - 1112.25)).toBeLessThan(15);
  });

  it('autoencoder: reconstructs in the input units', async () => {
    const lines = ['a,b,c'];
    for (let i = 0; i < 60; i++) lines.push(`${i},${2 * i},${60 - i}`);
    const data = file('ae.csv', lines.join('\n'));
    const model = file('ae.oxnet');
    const t = await run(['train', data, '--task', 'autoencoder', '--hidden', '1', '--epochs', '400', '--lr', '0.03', '--out', model, '--quiet']);
    expect(t.code).toBe(0);
    expect(t.out.join('\n')).toMatch(/test reconstruction MSE/);
    const p = await run(['predict', model, file('ae-in.csv', 'a,b,c\n30,60,30\n')]);
    const [a, b, c] = p.out[0].split('\n')[1].split(',').map(Number);
    // one-dimensional data: a 1-unit bottleneck can hold it; within a few units of (30, 60, 30)
    expect(Math.abs(a - 30)).toBeLessThan(4);
    expect(Math.abs(b - 60)).toBeLessThan(8);
    expect(Math.abs(c - 30)).toBeLessThan(4);
  });
});

describe('oxnet refusals: one line on stderr, non-zero exit', () => {
  const cases: [string, () => string[], RegExp, number][] = [
    ['missing column', () => ['train', file('ok.csv', twoClassCsv()), '--target', 'kind', '--task', 'classification'], /no column named 'kind'/, 1],
    [
      'non-numeric value',
      () => ['train', file('bad.csv', 'a,y\n1,2\nx,3\n'), '--target', 'y', '--task', 'regression'],
      /line 3, column 'a' has 'x', not a number/,
      1,
    ],
    ['empty file', () => ['train', file('empty.csv', ''), '--target', 'y', '--task', 'regression'], /is empty/, 1],
    ['missing file', () => ['train', join(dir, 'nope.csv'), '--target', 'y', '--task', 'regression'], /cannot read CSV file/, 1],
    ['wrong model file', () => ['predict', file('fake.oxnet', 'not a model'), file('ok2.csv', twoClassCsv())], /fake.oxnet/, 1],
    ['bad option value', () => ['train', 'x.csv', '--task', 'regression', '--target', 'y', '--lr=0'], /--lr must be a number > 0, got '0'/, 2],
    ['unknown command', () => ['fit'], /unknown command 'fit'/, 2],
  ];
  for (const [name, argv, message, code] of cases) {
    it(name, async () => {
      const r = await run(argv());
      expect(r.code).toBe(code);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(/^oxnet: /);
      expect(r.err[0]).toMatch(message);
      expect(r.err[0]).not.toMatch(/\n|at .*\.ts:\d+/);
    });
  }

  it('a model file not written by oxnet train', async () => {
    const m = new Sequential({ seed: 1 });
    m.add(dense({ units: 1, inputShape: [2] }));
    m.compile({ loss: 'mse', optimizer: 'sgd' });
    const path = file('plain.oxnet');
    saveModel(m, path);
    const r = await run(['predict', path, file('ok3.csv', 'a,b\n1,2\n')]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`oxnet: '${path}' was not saved by 'oxnet train' (no column description in it)`]);
  });

  it('prints help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/oxnet train <data.csv> --target <column> --task <task>/);
  });
});
