// A tfjs weights manifest and its binary shards -> one Float32Array per weight name. Each manifest
// group lists shard files whose bytes, joined in order, hold the group's weights one after another
// (little-endian float32, as tfjs writes them).
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describe, isPlainObject } from '../../args';
import { OxnetError } from '../../errors';

export interface WeightSpec {
  name: string;
  shape: number[];
}

/** Checks the manifest's shape; refuses any dtype but float32 and any quantization, naming the weight. */
function groups(manifest: unknown, file: string): { paths: string[]; weights: WeightSpec[] }[] {
  if (!Array.isArray(manifest)) throw new OxnetError('E_FORMAT', `${file}: weightsManifest must be an array of { paths, weights }, got ${describe(manifest)}`);
  return manifest.map((g, gi) => {
    if (!isPlainObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights) || !g.paths.every((p) => typeof p === 'string' && p !== '')) {
      throw new OxnetError('E_FORMAT', `${file}: weightsManifest[${gi}] must be { paths: string[], weights: [...] }, got ${describe(g)}`);
    }
    const weights = g.weights.map((w, wi) => {
      const where = `${file}: weightsManifest[${gi}].weights[${wi}]`;
      if (!isPlainObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new OxnetError('E_FORMAT', `${where} must be { name, shape, dtype }, got ${describe(w)}`);
      }
      if (w.quantization !== undefined) {
        throw new OxnetError('E_FORMAT', `weight '${w.name}' is quantized (${JSON.stringify(w.quantization)}); importTfjs reads float32 weights only`);
      }
      if (w.dtype !== 'float32') {
        throw new OxnetError('E_FORMAT', `weight '${w.name}' has dtype ${JSON.stringify(w.dtype)}; importTfjs reads float32 weights only`);
      }
      return { name: w.name, shape: w.shape as number[] };
    });
    return { paths: g.paths as string[], weights };
  });
}

/** Reads every shard of the manifest (paths relative to model.json) into named float32 tensors. */
export async function readWeights(manifest: unknown, modelJson: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of groups(manifest, modelJson)) {
    const files = group.paths.map((p) => resolve(dirname(modelJson), p));
    const parts: Uint8Array[] = [];
    for (const f of files) {
      try {
        parts.push(await readFile(f));
      } catch (e) {
        throw new OxnetError('E_IO', `weight shard ${f} (listed in ${modelJson}) cannot be read: ${(e as Error).message}`, { cause: e });
      }
    }
    const total = parts.reduce((a, p) => a + p.length, 0);
    const need = group.weights.reduce((a, w) => a + 4 * w.shape.reduce((n, d) => n * d, 1), 0);
    if (total !== need) {
      throw new OxnetError(
        'E_FORMAT',
        `weight shards ${files.join(', ')} hold ${total} bytes, the ${group.weights.length} weights listed with them need ${need}: ${total < need ? `${files.at(-1)} is short or a shard is missing` : 'the shards do not match the manifest'}`,
      );
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      bytes.set(p, offset);
      offset += p.length;
    }
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, d) => a * d, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, true);
      at += 4 * n;
      if (out.has(w.name)) throw new OxnetError('E_FORMAT', `${modelJson}: weight '${w.name}' is listed twice in weightsManifest`);
      out.set(w.name, { shape: [...w.shape], data });
    }
  }
  return out;
}
