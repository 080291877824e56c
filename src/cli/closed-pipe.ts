// When the reader of our output goes away (`uvsadm -L -n | head -3`, `uvs trace | head`), writes
// fail with EPIPE. ipvsadm, a C tool, is then ended quietly by SIGPIPE; Node instead ignores
// SIGPIPE and throws the EPIPE as an unhandled 'error' event, with a stack trace. This does what
// the C tool does: stop at once, say nothing (nobody is left to read it), exit with 141.

import { constants } from 'node:os';

/** 128 + SIGPIPE: the status a shell reports for a C program killed by SIGPIPE. */
export const CLOSED_PIPE_STATUS = 128 + constants.signals.SIGPIPE;

/** Makes EPIPE on stdout or stderr end the process quietly with CLOSED_PIPE_STATUS. */
export function quitWhenReaderLeaves(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(CLOSED_PIPE_STATUS);
      throw err;
    });
  }
}
