// Bundles a TypeScript child script (and the oxnet source it imports) into one CommonJS file
// that plain `node` runs, in <root>/target/hardening/. The native loader's relative
// require('../../index.js') is pointed at the addon's absolute path afterwards.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';

export const root = resolve(__dirname, '../..');

/** Bundles `<dir>/<name>.ts` (default this folder's children/). */
export async function bundleChild(name: string, dir = join(__dirname, 'children')): Promise<string> {
  const outDir = join(root, 'target', 'hardening');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.cjs`);
  await build({
    input: join(dir, `${name}.ts`),
    platform: 'node',
    external: (id) => id === '../../index.js' || id === 'mnist' || id.startsWith('node:'),
    output: { file, format: 'cjs' },
    logLevel: 'silent',
  });
  const code = readFileSync(file, 'utf8').replace(/require\("(?:\.\.\/)+index\.js"\)/g, `require(${JSON.stringify(join(root, 'index.js'))})`);
  writeFileSync(file, code);
  return file;
}
