// distributed() outside mpirun or without the MPI addon, and fit's distributed option given
// something that is not a world: clear E_MPI / E_ARG errors naming the cure, in any environment.
import { afterEach, describe, expect, it } from 'vitest';
import { Sequential, distributed, layers, sgd } from '../../src/index';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'MPI_LOCALNRANKS', 'OXNET_MPI_ADDON']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('distributed() refuses', () => {
  it('outside mpirun, naming mpirun', async () => {
    for (const k of ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'MPI_LOCALNRANKS']) delete process.env[k];
    await expect(distributed()).rejects.toMatchObject({ code: 'E_MPI', message: expect.stringMatching(/not started by mpirun.*mpirun -np 2/) });
  });

  it('without the addon, naming npm run build:mpi', async () => {
    process.env.OMPI_COMM_WORLD_SIZE = '2';
    process.env.OXNET_MPI_ADDON = '/nonexistent/oxnet-mpi.node';
    await expect(distributed()).rejects.toMatchObject({
      code: 'E_MPI',
      message: expect.stringMatching(/not built.*\/nonexistent\/oxnet-mpi\.node.*npm run build:mpi/),
    });
  });
});

describe('fit distributed', () => {
  it('refuses what is not a world', async () => {
    const m = new Sequential({ seed: 1 });
    m.add(layers.dense({ units: 1, inputShape: [1] }));
    m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.1 }) });
    const x = Float32Array.of(0, 1);
    await expect(m.fit(x, x, { distributed: {} as never })).rejects.toMatchObject({
      code: 'E_ARG',
      message: expect.stringMatching(/distributed must be the world/),
    });
  });
});
