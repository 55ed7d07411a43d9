// The layering of src/, checked on the import statements themselves (type-only imports count:
// a cycle of types is still a knot to untie when reading): no import cycles at all; the model,
// data, I/O and training code reach a backend only through src/backend/index.ts and types.ts;
// src/io/ knows bytes and snapshots, not models.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(__dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module -> the src modules it imports (relative specifiers resolved to files). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
      const base = resolve(dirname(f), m[1]);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((p) => {
        try {
          return statSync(p).isFile();
        } catch {
          return false;
        }
      });
      if (target) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

const name = (f: string) => relative(src, f);

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('has no cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(name).join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('model, data, I/O, training, metrics and the CLI know a backend only through backend/index.ts, types.ts and spec.ts', () => {
    const allowed = new Set(['backend/index.ts', 'backend/types.ts', 'backend/spec.ts', 'backend/threads.ts']);
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      const n = name(f);
      if (n.startsWith('backend/') || n.startsWith('layers/')) continue;
      for (const d of deps) {
        const dn = name(d);
        // gradCheck runs the js executor in float64 by design: it is the reference.
        if (n === 'model/gradcheck.ts' && dn === 'backend/js/executor.ts') continue;
        if (dn.startsWith('backend/') && !allowed.has(dn)) bad.push(`${n} imports ${dn}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('src/io/ imports nothing from model/, layers/ or backend/', () => {
    const bad = [...graph]
      .filter(([f]) => name(f).startsWith('io/'))
      .flatMap(([f, deps]) => deps.filter((d) => /^(model|layers|backend)\//.test(name(d))).map((d) => `${name(f)} imports ${name(d)}`));
    expect(bad).toEqual([]);
  });
});
