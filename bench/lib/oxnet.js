// The compiled oxnet package (run `npm run build:ts` and `npm run build:native` at the root first).
const path = require('node:path');

const dist = path.join(__dirname, '..', '..', 'dist');

function requireDist(rel) {
  try {
    return require(path.join(dist, rel));
  } catch (e) {
    throw new Error(`bench needs the compiled package (${path.join(dist, rel)}): run 'npm run build:ts' at the root. ${e.message}`);
  }
}

module.exports = {
  oxnet: () => requireDist('index.js'),
  /** Kernels of one backend by name, for the micro-benchmarks and W4. */
  backendByName: (name) => requireDist('backend/index.js').backendByName(name),
  rng: () => requireDist('random.js'),
};
