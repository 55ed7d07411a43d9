// docs/layers.md from the layer definitions: every entry of `layers` (src/layers/index.ts), its
// options (the definition's keys) and the comment that introduces it in its src/layers/ file.
// `npm run docs` writes the file; `node scripts/layer-docs.mjs --check` fails when it is stale
// (the docs test runs that). Reads the compiled dist/ (npm run build:ts) for the registry.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { layers, layerFromConfig } = require(join(root, 'dist', 'layers', 'index.js'));
const dir = join(root, 'src', 'layers');
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['index.ts', 'layer.ts'].includes(f))
  .map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));

/** The comment lines (// or /** *\/) right above `marker`, or the file's leading comment. */
function commentAbove(text, marker) {
  const at = text.indexOf(marker);
  if (at < 0) return null;
  const lines = text.slice(0, at).split('\n');
  lines.pop();
  const out = [];
  while (lines.length && /^\s*(\/\/|\/\*\*|\*|\*\/)/.test(lines.at(-1))) out.unshift(lines.pop());
  const clean = out
    .map((l) =>
      l
        .replace(/^\s*(\/\/ ?|\/\*\* ?|\* ?|\*\/)/, '')
        .replace(/\*\/\s*$/, '')
        .trimEnd(),
    )
    .filter((l) => l !== '');
  return clean.length ? clean.join(' ') : null;
}

function leading(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('//')) break;
    out.push(line.replace(/^\/\/ ?/, ''));
  }
  return out.join(' ');
}

export function layerDocs() {
  const parts = [
    '# Layers',
    '',
    'Generated from the layer definitions in `src/layers/` by `npm run docs` (a test fails when this file is stale).',
    'Every layer is a `Layer`: `layers.<name>(config).apply(x)` in a functional model, or `model.add(...)` in a Sequential.',
    'Every config also takes `name`, and the first layer of a Sequential takes `inputShape` (or `inputDim`).',
    '',
  ];
  for (const name of Object.keys(layers).sort()) {
    const probe = (() => {
      for (const config of [{}, { units: 1 }, { filters: 1, kernelSize: 1 }, { rate: 0 }, { activation: 'relu' }, { targetShape: [1] }]) {
        try {
          return layers[name](config);
        } catch {}
      }
      return null;
    })();
    const src = sources.find((s) => s.text.includes(`export function ${name}(`) || s.text.includes(`export const ${name} =`));
    const comment = src ? (commentAbove(src.text, `export function ${name}(`) ?? commentAbove(src.text, `export const ${name} =`) ?? leading(src.text)) : '';
    parts.push(`## layers.${name}`, '');
    if (comment) parts.push(comment, '');
    if (probe) {
      parts.push(`Options: ${probe.def.keys.length ? probe.def.keys.map((k) => `\`${k}\``).join(', ') : 'none besides `name`'}.`);
      parts.push(`Saved as type \`${probe.type}\`${src ? `; defined in \`src/layers/${src.file}\`` : ''}.`, '');
    }
  }
  void layerFromConfig;
  return `${parts.join('\n').trimEnd()}\n`;
}

const out = join(root, 'docs', 'layers.md');
if (process.argv.includes('--check')) {
  const now = readFileSync(out, 'utf8');
  if (now !== layerDocs()) {
    console.error('docs/layers.md is stale: run npm run docs');
    process.exit(1);
  }
} else {
  writeFileSync(out, layerDocs());
}
