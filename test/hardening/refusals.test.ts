// Every refusal typed (issue 18): the calls that used to throw a raw TypeError or Node's own fs
// error, each refused with an OxnetError of the expected code whose message names the parameter
// and what it got; file-system failures are E_IO naming the path and the reason, the system error
// as the cause.
import { chmodSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fsError } from '../../src/args';
import { OxnetError, Sequential, cosineDecay, layers, loadCsv, loadModel, minmax, saveModel, stepDecay, trainValTestSplit, zscore } from '../../src/index';
import { tempDir } from '../helpers/temp';

const dir = tempDir('oxnet-refusals-');

function refusal(f: () => unknown): OxnetError {
  try {
    f();
  } catch (e) {
    if (e instanceof OxnetError) return e;
    throw new Error(`expected an OxnetError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  throw new Error('expected a refusal, the call returned');
}

function tiny(): Sequential {
  const m = new Sequential({ seed: 1, backend: 'js' });
  m.add(layers.dense({ units: 1, inputShape: [2] }));
  return m;
}

const fitted = () => zscore().fit(new Float32Array([1, 2, 3, 4]), 2, 2);
const anyArg = (v: unknown) => v as never;

// [call, code, what the message must say]
const ROWS: [string, () => unknown, string, RegExp][] = [
  ['layers.batchNormalization(null)', () => layers.batchNormalization(anyArg(null)), 'E_CONFIG', /batchNormalization takes a config object, got null/],
  ['layers.flatten(null)', () => layers.flatten(anyArg(null)), 'E_CONFIG', /flatten takes a config object, got null/],
  ['layers.dense(null)', () => layers.dense(anyArg(null)), 'E_CONFIG', /dense takes a config object, got null/],
  ['layers.conv2d(null)', () => layers.conv2d(anyArg(null)), 'E_CONFIG', /conv2d takes a config object, got null/],
  ['layers.add(null)', () => layers.add(anyArg(null)), 'E_CONFIG', /add takes a config object, got null/],
  ['layers.batchNormalization(5)', () => layers.batchNormalization(anyArg(5)), 'E_CONFIG', /batchNormalization takes a config object, got number 5/],
  ['layers.flatten("x")', () => layers.flatten(anyArg('x')), 'E_CONFIG', /flatten takes a config object, got string "x"/],
  ['layers.dropout([])', () => layers.dropout(anyArg([])), 'E_CONFIG', /dropout takes a config object, got an array of 0/],
  ['new Sequential(null)', () => new Sequential(anyArg(null)), 'E_ARG', /Sequential takes an options object .*got null/],
  ['stepDecay(null)', () => stepDecay(anyArg(null)), 'E_ARG', /stepDecay: options must be an object .*got null/],
  ['cosineDecay(null)', () => cosineDecay(anyArg(null)), 'E_ARG', /cosineDecay: options must be an object .*got null/],
  ['zscore().fit(null, 2, 2)', () => zscore().fit(anyArg(null), 2, 2), 'E_ARG', /fit: x must be a Float32Array or an array of numbers, got null/],
  ['minmax().fit(null, 2, 2)', () => minmax().fit(anyArg(null), 2, 2), 'E_ARG', /fit: x must be .*got null/],
  ['normalizer.transform(null, 2)', () => fitted().transform(anyArg(null), 2), 'E_ARG', /transform: x must be .*got null/],
  ['normalizer.inverseTransform(null, 2)', () => fitted().inverseTransform(anyArg(null), 2), 'E_ARG', /inverseTransform: x must be .*got null/],
  [
    'trainValTestSplit(null, null, { count: 2 })',
    () => trainValTestSplit(anyArg(null), anyArg(null), { count: 2 }),
    'E_ARG',
    /trainValTestSplit: x must be a Float32Array, got null/,
  ],
  [
    'trainValTestSplit(x, y)',
    () => trainValTestSplit(new Float32Array(2), new Float32Array(2), anyArg(undefined)),
    'E_ARG',
    /trainValTestSplit: options must be an object/,
  ],
  ['model.add(5)', () => tiny().add(anyArg(5)), 'E_ARG', /add takes a layer .*got number 5/],
  ['model.add({})', () => tiny().add(anyArg({})), 'E_ARG', /add takes a layer .*got an object that is not a layer/],
  ['loadModel(null)', () => loadModel(anyArg(null)), 'E_ARG', /loadModel: path must be a non-empty file path, got null/],
  ['loadCsv(null)', () => loadCsv(anyArg(null), { task: 'autoencoder' }), 'E_ARG', /loadCsv: pathOrText must be a string, got null/],
  ['saveModel(m, null)', () => saveModel(tiny(), anyArg(null)), 'E_ARG', /saveModel: path must be a non-empty file path, got null/],
  ['model.save(null)', () => tiny().save(anyArg(null)), 'E_ARG', /save: path must be a non-empty file path, got null/],
  ['loadModel(<a directory>)', () => loadModel(dir.path), 'E_IO', /loadModel: cannot read '.*': it is a directory \(EISDIR\)/],
  ['loadCsv(<a directory>)', () => loadCsv(dir.path, { task: 'autoencoder' }), 'E_IO', /loadCsv: cannot read CSV file '.*': it is a directory \(EISDIR\)/],
  ['loadModel(<missing>)', () => loadModel(dir.file('missing.oxnet')), 'E_IO', /loadModel: cannot read '.*missing\.oxnet': it does not exist \(ENOENT\)/],
  [
    'loadCsv(<missing>)',
    () => loadCsv(dir.file('missing.csv'), { task: 'autoencoder' }),
    'E_IO',
    /cannot read CSV file '.*missing\.csv': it does not exist \(ENOENT\)/,
  ],
  ['saveModel(m, <a directory>)', () => saveModel(tiny(), dir.path), 'E_IO', /saveModel: cannot write '.*': it is a directory \(EISDIR\)/],
  [
    'saveModel(m, <missing folder>)',
    () => saveModel(tiny(), dir.file('no/such/m.oxnet')),
    'E_IO',
    /saveModel: cannot write '.*m\.oxnet': its folder does not exist \(ENOENT\)/,
  ],
];

describe('refusals are typed (issue 18)', () => {
  it.each(ROWS)('%s -> %s', (_call, f, code, message) => {
    const e = refusal(f);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('E_IO carries the system error as its cause', () => {
    const e = refusal(() => loadModel(dir.path));
    expect((e.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
    const missing = refusal(() => loadCsv(dir.file('missing.csv'), { task: 'autoencoder' }));
    expect((missing.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is E_IO: not readable (root reads it anyway)', () => {
    const path = dir.file('locked.csv');
    writeFileSync(path, 'a,b\n1,2\n');
    chmodSync(path, 0o000);
    const e = refusal(() => loadCsv(path, { task: 'autoencoder' }));
    expect(e.code).toBe('E_IO');
    expect(e.message).toMatch(/permission denied, it is not readable by this process \(EACCES\)/);
  });

  it('one errno mapping names the reason', () => {
    const sys = (code: string) => Object.assign(new Error(`${code}: boom`), { code });
    expect(fsError(sys('ENOSPC'), 'saveModel', 'write', '/x/m.oxnet').message).toBe(
      "saveModel: cannot write '/x/m.oxnet': no space left on the device (ENOSPC)",
    );
    expect(fsError(sys('EACCES'), 'loadModel', 'read', '/x/m.oxnet').message).toBe(
      "loadModel: cannot read '/x/m.oxnet': permission denied, it is not readable by this process (EACCES)",
    );
    expect(fsError(sys('EACCES'), 'saveModel', 'write', '/x/m.oxnet').message).toMatch(/not writable by this process/);
    expect(fsError(sys('EISDIR'), 'loadModel', 'read', '/x').message).toMatch(/it is a directory \(EISDIR\)/);
    expect(fsError(sys('ENOENT'), 'loadModel', 'read', '/x').message).toMatch(/it does not exist \(ENOENT\)/);
    expect(fsError(sys('EWHATEVER'), 'loadModel', 'read', '/x').message).toMatch(/EWHATEVER: boom/);
    const e = fsError(sys('ENOSPC'), 'saveModel', 'write', '/x');
    expect(e.code).toBe('E_IO');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });
});
