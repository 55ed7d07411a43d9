// What the main package's tarball may hold: compiled JavaScript, declarations, the loader,
// README and licence. No Rust sources, no target/, no binaries, no tests, data or source maps.
const REQUIRED = ['package.json', 'index.js', 'index.d.ts', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
const ALLOWED = [/^package\.json$/, /^index\.js$/, /^index\.d\.ts$/, /^README\.md$/, /^LICENSE$/, /^dist\/.+\.(js|d\.ts)$/];
const FORBIDDEN = [/\.rs$/, /^target\//, /^crates\//, /^src\//, /^test\//, /\.node$/, /\.map$/, /Cargo\.(toml|lock)$/, /^bench\//, /^examples\//, /^npm\//];

/** Checks `npm pack --json` output for the main package; calls fail(message) on the first problem. */
export function checkMainTarball(pack, pkg, fail) {
  const paths = pack.files.map((f) => f.path);
  if (pack.name !== pkg.name || pack.version !== pkg.version) fail(`packed ${pack.name}@${pack.version}, expected ${pkg.name}@${pkg.version}`);
  for (const p of REQUIRED) if (!paths.includes(p)) fail(`main tarball lacks ${p}`);
  for (const p of paths) {
    if (FORBIDDEN.some((re) => re.test(p))) fail(`main tarball must not hold ${p}`);
    if (!ALLOWED.some((re) => re.test(p))) fail(`main tarball holds an unexpected file: ${p}`);
  }
  if (pkg.bin) for (const b of Object.values(pkg.bin)) if (!paths.includes(b)) fail(`bin ${b} is not in the tarball`);
  const scripts = Object.keys(pkg.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s));
  if (scripts.length > 0) fail(`the package must have no install scripts, has ${scripts.join(', ')}`);
}
