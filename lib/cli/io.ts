/** What a command reads and writes: the process's streams, or test doubles. */

/** The streams and signals a command uses. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Adds a Ctrl-C handler. */
  onSigint(handler: () => void): void;
  /** Removes a Ctrl-C handler. */
  offSigint(handler: () => void): void;
}

/** The process's own streams and SIGINT. */
export function processIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    onSigint: (handler) => process.on('SIGINT', handler),
    offSigint: (handler) => process.off('SIGINT', handler),
  };
}
