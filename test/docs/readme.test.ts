// Documentation is code: every ```ts / ```js block of README.md and docs/*.md runs here, as a
// user would paste it (`from 'oxnet'` resolves to this checkout's src/index.ts), and the values it
// computes are checked, so the docs cannot drift from the API again.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const outDir = join(root, 'target', 'doc-snippets');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Snippet {
  file: string;
  line: number;
  lang: 'ts' | 'js';
  code: string;
}

/** The fenced ts/js blocks of a markdown file, with the line each starts on. */
function snippets(file: string): Snippet[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: Snippet[] = [];
  const fence = /^```(ts|js|typescript|javascript)\s*\n([\s\S]*?)^```\s*$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ file, line, lang: m[1].startsWith('t') ? 'ts' : 'js', code: m[2] });
  }
  return out;
}

/** Top-level names a snippet declares (const x, const { a, b }, const [a, b]), so the test can read its results. */
function topLevelNames(code: string): string[] {
  const names: string[] = [];
  for (const m of code.matchAll(/^(?:const|let|var)\s+(\w+)/gm)) names.push(m[1]);
  for (const m of code.matchAll(/^(?:const|let|var)\s+\[([^\]]*)\]/gm)) {
    for (const part of m[1].split(',')) if (part.trim()) names.push(part.split('=')[0].trim());
  }
  for (const m of code.matchAll(/^(?:const|let|var)\s+\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.split(':').at(-1)?.split('=')[0].trim();
      if (name) names.push(name);
    }
  }
  return names;
}

/** Runs a snippet as an ES module and returns its top-level values. */
async function runSnippet(s: Snippet, index: number): Promise<Record<string, unknown>> {
  const src = pathToFileURL(join(root, 'src', 'index.ts')).href;
  const body = s.code.replace(/from\s+['"]oxnet['"]/g, `from '${src}'`);
  const names = topLevelNames(s.code);
  const file = join(outDir, `${s.file.replace(/[/.]/g, '_')}-${index}.${s.lang === 'ts' ? 'mts' : 'mjs'}`);
  writeFileSync(file, `${body}\nexport const __scope = { ${names.join(', ')} };\n`);
  const mod = await import(/* @vite-ignore */ pathToFileURL(file).href);
  return mod.__scope as Record<string, unknown>;
}

const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const all = docs.flatMap(snippets);

/** What each block must compute, keyed by a phrase in its code; a block with none must still run. */
const checks: { key: string; check(scope: Record<string, unknown>): void }[] = [
  {
    key: 'XOR with a 2-2-1 sigmoid network',
    check({ model, x }) {
      const y = (model as { predict(x: unknown): Float32Array }).predict(x);
      expect(Array.from(y, (v) => Math.round(v))).toEqual([0, 1, 1, 0]);
    },
  },
  {
    key: 'loadIris()',
    check({ model, test }) {
      const m = model as { evaluate(x: unknown, y: unknown): { accuracy: number } };
      const t = test as { x: unknown; y: unknown };
      expect(m.evaluate(t.x, t.y).accuracy).toBeGreaterThan(0.85);
    },
  },
  {
    key: "tensorBoard(logdir, { updateFreq: 'batch'",
    check({ runs, logdir }) {
      expect(runs).toEqual(['train', 'val']);
      expect(existsSync(logdir as string)).toBe(false);
    },
  },
  {
    key: "writeReport(join(dir, 'report.html')",
    check({ bytes, dir, file }) {
      expect(bytes as number).toBeGreaterThan(50_000);
      expect(file).toBe(join(dir as string, 'report.html'));
      expect(existsSync(dir as string)).toBe(false);
    },
  },
  {
    key: 'gradCheck(net, [[x1]',
    check({ grads, slide, report }) {
      expect((grads as Float32Array[])[3][0]).toBeCloseTo(slide as number, 6);
      const r = report as { passed: boolean; tensors: { name: string; passed: boolean }[] };
      expect(r.passed).toBe(true);
      expect(r.tensors.map((c) => c.name)).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']);
    },
  },
  {
    key: 'two outputs with their own losses',
    check({ scores, classes, bright, history, parts }) {
      const e = scores as { loss: number; outputs: Record<string, { loss: number; accuracy: number }> };
      expect(e.outputs.kind.accuracy).toBeGreaterThan(0.9);
      expect(e.outputs.brightness.loss).toBeLessThan(0.02);
      expect(e.loss).toBeCloseTo(e.outputs.kind.loss + 0.5 * e.outputs.brightness.loss, 10);
      expect([(classes as Float32Array).length, (bright as Float32Array).length]).toEqual([512, 256]);
      const h = (history as { history: Record<string, number[]> }).history;
      expect(Object.keys(h)).toEqual(expect.arrayContaining(['loss', 'kind_loss', 'kind_acc', 'brightness_loss']));
      expect(h.loss.at(-1)!).toBeLessThan(h.loss[0] / 3);
      for (const p of parts as { loss: number; grads: Float32Array[] }[]) expect(p.grads.length).toBe(12); // kernel and bias of 3 convs and 3 denses
    },
  },
  {
    key: 'resumeFrom: path',
    check({ at, same }) {
      expect(at).toBe(3);
      expect(same).toBe(true);
    },
  },
  {
    key: 'await line.fitDataset(rows',
    check({ fitted }) {
      expect(fitted).toEqual([2, 1]);
    },
  },
  {
    key: 'const squares = fromIterable',
    check({ firstPass, secondPass }) {
      expect(firstPass).toEqual([0, 1, 4, 9, 16]);
      expect(secondPass).toEqual(firstPass);
    },
  },
  {
    key: "rawSource(join(dir, 'pixels.u8')",
    check({ rawRows, rawCount }) {
      expect(rawRows).toEqual([
        [0, 1],
        [0.2, 0.4],
        [0.8, 0],
      ]);
      expect(rawCount).toBe(3);
    },
  },
  {
    key: 'const digits = zip(',
    check({ firstDigit }) {
      const d = firstDigit as { x: Float32Array; y: Float32Array };
      expect(Array.from(d.x)).toEqual([0, 1, 1, 0]);
      expect(Array.from(d.y)).toEqual([0, 1]);
    },
  },
  {
    key: 'const evens = await numbers',
    check({ evens, middle, pairs, epoch1, epoch2, twice }) {
      expect(evens).toEqual([0, 20, 40, 60, 80]);
      expect(middle).toEqual([3, 4, 5, 6]);
      expect(pairs).toEqual([[0, 1], [2, 3], [4]]);
      expect([...(epoch1 as number[])].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(epoch2).not.toEqual(epoch1);
      expect(twice).toEqual([0, 1, 0, 1]);
    },
  },
  {
    key: 'const streamed = await net.fitDataset',
    check({ streamed, lineScores, lineOutputs }) {
      expect((streamed as { epoch: number[] }).epoch.length).toBe(30);
      expect((lineScores as { accuracy: number }).accuracy).toBeGreaterThan(0.9);
      expect((lineOutputs as Float32Array).length).toBe(400);
    },
  },
  {
    key: 'const norm = await fitNormalizer(trainRows',
    check({ heldOut, csvClasses }) {
      expect((heldOut as { accuracy: number; count: number }).accuracy).toBe(1);
      expect((heldOut as { count: number }).count).toBe(20);
      expect(csvClasses).toEqual(['big', 'small']);
    },
  },
  {
    key: 'const fromTfjs = net.predict',
    check({ fromTfjs, reference, before, after, tuned }) {
      const expected = (reference as { outputs: number[][] }).outputs[0];
      const got = fromTfjs as Float32Array;
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-5);
      const [b, a] = [before, after] as { loss: number; accuracy: number }[];
      expect(a.loss).toBeLessThan(b.loss * 0.6);
      expect(a.accuracy).toBeGreaterThan(b.accuracy);
      expect((tuned as { history: Record<string, number[]> }).history.loss.length).toBe(15);
    },
  },
  {
    key: "exportOnnx(net, join(dir, 'net.onnx'))",
    check({ ours, fromOrt, back, x, dir }) {
      const o = ours as Float32Array;
      const r = fromOrt as Float32Array;
      const b = (back as { predict(x: unknown): Float32Array }).predict(x);
      expect(o.length).toBe(6);
      for (let i = 0; i < o.length; i++) {
        expect(Math.abs(r[i] - o[i])).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(b[i] - o[i])).toBeLessThanOrEqual(1e-5);
      }
      expect(existsSync(dir as string)).toBe(false);
    },
  },
  {
    key: "precision: 'bfloat16' });",
    check({ accuracy, precision }) {
      expect(accuracy as number).toBeGreaterThan(0.9);
      expect(precision).toBe('bfloat16');
    },
  },
  {
    key: 'layers.conv2d({ filters: 8',
    check({ cnn }) {
      expect((cnn as { outputShape: number[] }).outputShape).toEqual([10]);
    },
  },
];

describe('documentation snippets run and compute what they say', () => {
  it('finds the README blocks', () => {
    expect(all.filter((s) => s.file === 'README.md').length).toBeGreaterThanOrEqual(3);
  });
  it.each(all.map((s, i) => [`${s.file}:${s.line}`, s, i] as const))('%s', async (_where, s, i) => {
    const scope = await runSnippet(s, i);
    for (const c of checks) if (s.code.includes(c.key)) c.check(scope);
  });
  it('every check matches a block (a renamed snippet must not silently lose its check)', () => {
    for (const c of checks)
      expect(
        all.some((s) => s.code.includes(c.key)),
        c.key,
      ).toBe(true);
  });
});
