import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args';
import { csvCell, formatValue, textTable, toCsv } from '../../src/cli/output';

describe('parseCli', () => {
  it('reads a full train command with defaults filled in', () => {
    const a = parseCli([
      'train',
      'd.csv',
      '--target',
      'y',
      '--task',
      'regression',
      '--hidden',
      '16,8',
      '--search',
      '4;8;16,8',
      '--batch-size',
      '4',
      '--lr',
      '0.003',
    ]);
    expect(a).toMatchObject({
      command: 'train',
      data: 'd.csv',
      target: 'y',
      task: 'regression',
      hidden: [16, 8],
      search: [[4], [8], [16, 8]],
      batchSize: 4,
      lr: 0.003,
      epochs: 200,
      seed: 1,
      restarts: 1,
      split: [0.7, 0.15, 0.15],
      normalize: 'zscore',
      out: 'model.oxnet',
    });
    expect(parseCli(['train', 'd.csv', '--task', 'autoencoder'])).toMatchObject({ normalize: 'minmax' });
    expect(parseCli(['train', 'd.csv', '--task', 'autoencoder'])).not.toHaveProperty('report');
    expect(parseCli(['train', 'd.csv', '--task', 'autoencoder', '--report', 'run.html'])).toMatchObject({ report: 'run.html' });
  });

  it('reads predict, help and version', () => {
    expect(parseCli(['predict', 'm.oxnet', 'd.csv', '--out', 'p.csv'])).toEqual({ command: 'predict', model: 'm.oxnet', data: 'd.csv', out: 'p.csv' });
    expect(parseCli(['--help']).command).toBe('help');
    expect(parseCli([]).command).toBe('help');
    expect(parseCli(['-v']).command).toBe('version');
  });

  it('refuses bad input naming the option and value', () => {
    const cases: [string[], RegExp][] = [
      [['train', 'd.csv', '--task', 'classification'], /needs --target/],
      [['train', 'd.csv', '--task', 'cluster', '--target', 'y'], /--task must be one of .* got 'cluster'/],
      [['train', 'd.csv', '--task', 'regression', '--target', 'y', '--epochs', '0'], /--epochs must be an integer >= 1, got '0'/],
      [['train', 'd.csv', '--task', 'regression', '--target', 'y', '--hidden', '4,x'], /--hidden: layer sizes/],
      [['train', 'd.csv', '--task', 'regression', '--target', 'y', '--split', '0.5,0.5'], /--split/],
      [['train', 'd.csv', '--bogus'], /Unknown option '--bogus'/],
      [['train', 'd.csv', '--task', 'autoencoder', '--report', 'run.txt'], /--report must name an .html file, got 'run.txt'/],
      [['predict', 'm.oxnet'], /predict takes/],
      [['fly'], /unknown command 'fly'/],
    ];
    for (const [argv, message] of cases) expect(() => parseCli(argv), argv.join(' ')).toThrow(message);
  });
});

describe('output helpers', () => {
  it('quotes CSV cells per RFC 4180 and prints float32 values shortest', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(formatValue(Math.fround(0.1))).toBe('0.1');
    expect(toCsv(['p'], [[1], ['x']])).toBe('p\n1\nx\n');
    expect(textTable(['a', 'bb'], [['123', '4']])).toBe('a    bb\n---  --\n123  4');
  });
});
