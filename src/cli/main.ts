#!/usr/bin/env node
// The `oxnet` command: train on a CSV, predict with a saved model. Every refusal is one line on
// stderr and a non-zero exit (2: bad usage, 1: bad data or files); OXNET_DEBUG=1 shows stacks.
import { isOxnetError } from '../errors';
import { HELP, parseCli } from './args';
import { runPredict } from './predict';
import { runTrain, type Output } from './train';

const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Output = consoleOutput): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.command === 'help') io.out(HELP.trimEnd());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    else if (args.command === 'version') io.out(String((require('../../package.json') as { version: string }).version));
    else if (args.command === 'train') await runTrain(args, io);
    else await runPredict(args, io);
    return 0;
  } catch (e) {
    if (process.env.OXNET_DEBUG === '1' && e instanceof Error) io.err(e.stack ?? e.message);
    const message = e instanceof Error ? e.message : String(e);
    io.err(`oxnet: ${message.split('\n')[0]}`);
    return isOxnetError(e) && e.code === 'E_ARG' ? 2 : 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
