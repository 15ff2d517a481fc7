/** A mistake on the command line: a bad flag, a bad value, a missing argument. Exit code 2. */
export class UsageError extends Error {
  /**
   * @param message - one line naming the problem
   */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit code of a usage error (as most command-line tools). */
export const USAGE_EXIT_CODE = 2;
