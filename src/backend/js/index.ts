// Placeholder until the pure-TypeScript backend lands (owned by the js-backend work).
import type { Backend } from '../types';
export const jsBackend: Backend = new Proxy({ name: 'js' } as Backend, {
  get(target, prop) {
    if (prop === 'name') return 'js';
    throw new Error(`js backend: ${String(prop)} not implemented yet`);
  },
});
