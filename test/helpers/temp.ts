// Temporary folders that tests remove again: nothing is left behind in the system temp directory.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

export interface TempDir {
  path: string;
  /** A path inside the folder. */
  file(name: string): string;
  remove(): void;
}

/** A fresh folder under the system temp directory, removed when the test file ends (or by remove()). */
export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(path, { recursive: true, force: true });
  afterAll(remove);
  return { path, file: (name) => join(path, name), remove };
}

/** The same, made inside a test and removed when that test finishes (passed or failed). */
export function testTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(path, { recursive: true, force: true });
  onTestFinished(remove);
  return { path, file: (name) => join(path, name), remove };
}

/** Entries of the system temp directory whose names start with one of `prefixes`. */
export function tempEntries(prefixes: readonly string[]): string[] {
  return readdirSync(tmpdir()).filter((name) => prefixes.some((p) => name.startsWith(p)));
}
