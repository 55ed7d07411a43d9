// docs/layers.md is generated from the layer definitions (scripts/layer-docs.mjs): it must be current.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('docs/layers.md matches the layer definitions (npm run docs regenerates it)', () => {
  const r = spawnSync(process.execPath, [join(__dirname, '../../scripts/layer-docs.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
