// Bundles a TypeScript child script (and the oxnet source it imports) into one CommonJS file
// that plain `node` runs. The bundle goes to <root>/target/hardening/, two levels below the
// root, so the native loader's require('../../index.js') still finds the addon.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';

export const root = resolve(__dirname, '../..');

export async function bundleChild(name: string): Promise<string> {
  const outDir = join(root, 'target', 'hardening');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.cjs`);
  await build({
    input: join(__dirname, 'children', `${name}.ts`),
    platform: 'node',
    external: (id) => id === '../../index.js' || id.startsWith('node:'),
    output: { file, format: 'cjs' },
    logLevel: 'silent',
  });
  return file;
}
