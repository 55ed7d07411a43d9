// Child process of the resume test: trains run argv[2] on backend argv[3] toward 6 epochs with a
// checkpoint to argv[4] after every epoch, slowed by a pause before each epoch so the parent can
// SIGKILL it in the middle of the run once a checkpoint is on disk.
import { EPOCHS, checkpointEvery, makeRun, type RunKind } from '../resumeRuns';

const [kind, backend, path] = process.argv.slice(2);
const run = makeRun(kind as RunKind, backend as 'native' | 'js');
const pause = { onEpochBegin: () => new Promise<void>((r) => setTimeout(r, 60)) };
run.model
  .fit(run.x, run.y, { ...run.fit, epochs: EPOCHS, callbacks: [...run.callbacks(), checkpointEvery(path), pause] })
  .then(() => process.stdout.write('finished\n'));
