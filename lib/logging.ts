/** Routing of llama.cpp's log output and the library's own warnings. Silent by default. */
import { show } from './arguments';
import { invalidArgument } from './errors';
import { native } from './native';

/** llama.cpp log levels, least to most severe; `'none'` silences everything. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

/** Receives one llama.cpp log message (may be a fragment of a line). */
export type Logger = (level: Exclude<LogLevel, 'none'>, text: string) => void;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'none'];

const stderrLogger: Logger = (level, text) => {
  process.stderr.write(`[llama.cpp ${level}] ${text}`);
};

let loggerInstalled = false;
/** The JS logger and level of this environment, for the library's own warnings. */
let jsLogger: Logger | null = null;
let jsLevel = LEVELS.indexOf('none');

/**
 * Sends one of the library's own warnings (not llama.cpp's) to the logger,
 * when one is installed and the level lets warnings through.
 * @internal
 */
export function logWarning(text: string): void {
  if (jsLevel > LEVELS.indexOf('warn')) return;
  const logger = jsLogger ?? stderrLogger;
  try {
    logger('warn', `llama-generate: ${text}\n`);
  } catch {
    // a throwing logger is ignored, as for llama.cpp's messages
  }
}

/**
 * Sets the minimum level of llama.cpp messages that reach the logger
 * (default `'none'`: silent). Without {@link setLogger}, messages go to stderr.
 * Applies to the calling thread's environment (each worker_thread has its own).
 */
export function setLogLevel(level: LogLevel): void {
  const index = LEVELS.indexOf(level);
  if (index < 0) throw invalidArgument(`log level must be one of ${LEVELS.join(', ')}, got ${show(level)}`);
  if (!loggerInstalled && level !== 'none') setLogger(stderrLogger);
  native().setLogLevel(index);
  jsLevel = index;
}

/**
 * Installs `logger` for llama.cpp messages, and the library's own warnings
 * (e.g. a generation length decided by the default `max_length`, also in
 * `result.warnings`), at or above the level set by {@link setLogLevel}; `null`
 * removes it. Messages are delivered
 * asynchronously on the JS thread; a throwing logger is ignored.
 */
export function setLogger(logger: Logger | null): void {
  if (logger !== null && typeof logger !== 'function') throw invalidArgument(`logger must be a function or null, got ${show(logger)}`);
  native().setLogCallback(logger as ((level: string, text: string) => void) | null);
  loggerInstalled = logger !== null;
  jsLogger = logger;
}
