// Buffer reuse by liveness, the twin of crates/oxnet-core/src/plan.rs: each value lives from the
// step that writes it to the last step that reads it; values whose lives do not overlap share a
// buffer (greedy, in order of birth, the smallest free buffer that fits, else the largest).

/** When a value is written and last read, on the executor's timeline. */
export interface Life {
  from: number;
  to: number;
  /** Floats per sample. */
  size: number;
}

/** A buffer per value (-1: none) and each buffer's size per sample. */
export interface Plan {
  buffer: number[];
  sizes: number[];
}

export function assign(lives: (Life | null)[]): Plan {
  const order = lives.map((_, v) => v).filter((v) => lives[v] !== null);
  order.sort((a, b) => lives[a]!.from - lives[b]!.from || a - b);
  const buffer = lives.map(() => -1);
  const sizes: number[] = [];
  let busy: [number, number][] = [];
  const free: number[] = [];
  for (const v of order) {
    const life = lives[v]!;
    busy = busy.filter(([to, b]) => {
      if (to < life.from) {
        free.push(b);
        return false;
      }
      return true;
    });
    let pick = -1;
    for (let i = 0; i < free.length; i++) {
      const b = free[i];
      if (sizes[b] >= life.size && (pick < 0 || sizes[b] < sizes[free[pick]] || (sizes[b] === sizes[free[pick]] && b < free[pick]))) pick = i;
    }
    if (pick < 0) {
      for (let i = 0; i < free.length; i++) {
        const b = free[i];
        if (pick < 0 || sizes[b] > sizes[free[pick]] || (sizes[b] === sizes[free[pick]] && b < free[pick])) pick = i;
      }
    }
    let b: number;
    if (pick >= 0) {
      b = free[pick];
      free[pick] = free[free.length - 1];
      free.pop();
    } else {
      b = sizes.length;
      sizes.push(0);
    }
    sizes[b] = Math.max(sizes[b], life.size);
    buffer[v] = b;
    busy.push([life.to, b]);
  }
  return { buffer, sizes };
}

export const floatsPerSample = (p: Plan): number => p.sizes.reduce((a, s) => a + s, 0);
export const naiveFloatsPerSample = (lives: (Life | null)[]): number => lives.reduce((a, l) => a + (l ? l.size : 0), 0);
