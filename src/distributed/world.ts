// distributed(): the MPI world of a process started by mpirun, through the optional oxnet-mpi
// addon (crates/oxnet-mpi, built by `npm run build:mpi`). Every MPI call is synchronous and made
// from the JavaScript main thread, the one that initialised MPI (MPI_THREAD_FUNNELED): the
// buffers are a model's gradients, short enough that the event loop waits milliseconds at most.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OxnetError } from '../errors';

/** What the addon exports (crates/oxnet-mpi/src/lib.rs). */
interface MpiAddon {
  init(): { rank: number; size: number; threading: string; libraryVersion: string };
  allreduceSumF32(buf: Float32Array): void;
  allreduceSumF64(buf: Float64Array): void;
  broadcastF32(buf: Float32Array, root: number): void;
  barrier(): void;
  finalize(): void;
  abort(code: number): void;
}

/** The processes of one mpirun job; every rank runs the same script and calls the same collectives in the same order. */
export interface World {
  /** This process's rank, 0..size-1; rank 0 writes checkpoints, logs and progress. */
  readonly rank: number;
  readonly size: number;
  /** The MPI library, e.g. "Open MPI v4.1.4, ...". */
  readonly library: string;
  /** Sums `buf` over all ranks, in place (MPI_Allreduce). */
  allreduceSum(buf: Float32Array | Float64Array): void;
  /** Overwrites `buf` on every rank with rank `root`'s contents (MPI_Bcast). */
  broadcast(buf: Float32Array, root?: number): void;
  /** Waits until every rank reaches it (MPI_Barrier). */
  barrier(): void;
  /** Ends MPI in this process (also done at exit); the world cannot be used afterwards. */
  finalize(): void;
}

/** The addon's path: OXNET_MPI_ADDON, or what `npm run build:mpi` writes in crates/oxnet-mpi. */
export function mpiAddonPath(): string {
  const env = process.env.OXNET_MPI_ADDON;
  if (env) return path.resolve(env);
  return path.join(__dirname, '..', '..', 'crates', 'oxnet-mpi', `oxnet-mpi.${process.platform}-${process.arch}${libcSuffix()}.node`);
}

/** napi-rs's file-name suffix for the C library: -gnu (glibc) or -musl on Linux, none elsewhere. */
function libcSuffix(): string {
  if (process.platform !== 'linux') return '';
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? '-gnu' : '-musl';
}

/** Environment variables the MPI launchers set in every process they start. */
const LAUNCHER_VARS = ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'MPI_LOCALNRANKS'];

let world: World | null = null;

/**
 * This process's MPI world. Refuses with E_MPI when the process was not started by mpirun (or
 * another MPI launcher) or when the MPI addon is not built; both messages say what to do.
 */
export async function distributed(): Promise<World> {
  if (world) return world;
  if (!LAUNCHER_VARS.some((v) => process.env[v] !== undefined))
    throw new OxnetError(
      'E_MPI',
      'distributed: this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE or PMI variables); run e.g. `mpirun -np 2 node train.js`',
    );
  const file = mpiAddonPath();
  if (!existsSync(file))
    throw new OxnetError(
      'E_MPI',
      `distributed: the MPI addon is not built (no ${file}); install Open MPI (apt-get install openmpi-bin libopenmpi-dev libclang-dev) and run \`npm run build:mpi\` in oxnet's folder`,
    );
  let addon: MpiAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as MpiAddon;
  } catch (e) {
    throw new OxnetError('E_MPI', `distributed: cannot load the MPI addon ${file}: ${(e as Error).message}; rebuild it with \`npm run build:mpi\``, {
      cause: e,
    });
  }
  const info = call('init', () => addon.init());
  let done = false;
  const finalize = () => {
    if (done) return;
    done = true;
    world = null;
    addon.finalize();
  };
  // Every rank must reach MPI_Finalize, or mpirun reports the job as failed. A rank that exits
  // with an error aborts the job instead: its peers would wait for it in their next collective.
  process.once('exit', (code) => {
    if (done) return;
    if (code !== 0) {
      process.stderr.write(`oxnet: rank ${info.rank} exits with code ${code}; aborting the MPI job\n`);
      addon.abort(code);
    }
    finalize();
  });
  const live = (op: string) => {
    if (done) throw new OxnetError('E_STATE', `world.${op}: MPI was finalised in this process`);
  };
  world = {
    rank: info.rank,
    size: info.size,
    library: info.libraryVersion,
    allreduceSum(buf) {
      live('allreduceSum');
      if (buf instanceof Float32Array) call('allreduceSum', () => addon.allreduceSumF32(buf));
      else if (buf instanceof Float64Array) call('allreduceSum', () => addon.allreduceSumF64(buf));
      else throw new OxnetError('E_ARG', 'world.allreduceSum: buf must be a Float32Array or a Float64Array');
    },
    broadcast(buf, root = 0) {
      live('broadcast');
      if (!(buf instanceof Float32Array)) throw new OxnetError('E_ARG', 'world.broadcast: buf must be a Float32Array');
      if (!Number.isInteger(root) || root < 0 || root >= info.size)
        throw new OxnetError('E_ARG', `world.broadcast: root must be a rank in 0..${info.size - 1}, got ${root}`);
      call('broadcast', () => addon.broadcastF32(buf, root));
    },
    barrier() {
      live('barrier');
      call('barrier', () => addon.barrier());
    },
    finalize,
  };
  return world;
}

function call<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new OxnetError('E_MPI', `MPI ${op} failed: ${(e as Error).message}`, { cause: e });
  }
}

/** What `await distributed()` returned (the options' `distributed` is checked with it). */
export function isWorld(w: unknown): w is World {
  return w !== null && typeof w === 'object' && typeof (w as World).allreduceSum === 'function' && Number.isInteger((w as World).size);
}
