// ES module consumer: named imports from 'oxnet' (Node's CommonJS export detection) and print one JSON line.
import * as oxnet from 'oxnet';
import { Sequential, getBackend } from 'oxnet';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import taskModule from './xor-task.cjs';

if (typeof Sequential !== 'function' || typeof getBackend !== 'function') throw new Error('named ESM imports from oxnet are missing');
const report = await taskModule.xorTask(oxnet, dirname(fileURLToPath(import.meta.url)));
console.log(JSON.stringify({ ...report, module: 'esm' }));
