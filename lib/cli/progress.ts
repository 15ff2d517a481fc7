/**
 * Progress bars on stderr (cli-progress), shown only when stderr is a
 * terminal: piped or redirected output gets nothing.
 */
import { SingleBar } from 'cli-progress';
import type { CommandIo } from './io';

/** A progress bar that does nothing when stderr is not a TTY. */
export class Progress {
  #bar: SingleBar | null = null;
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #unit: string;
  readonly #stream: NodeJS.WritableStream;

  /**
   * @param io - where the bar is drawn (its stderr), and whether that is a TTY
   * @param label - shown before the bar
   * @param unit - shown after the counts (`''` shows a percentage instead)
   */
  constructor(io: Pick<CommandIo, 'stderr' | 'stderrIsTTY'>, label: string, unit = '') {
    this.#label = label;
    this.#unit = unit;
    this.#enabled = io.stderrIsTTY;
    this.#stream = io.stderr;
  }

  /** Sets the progress: `value` out of `total`. */
  update(value: number, total: number): void {
    if (!this.#enabled) return;
    if (!this.#bar) {
      const counts = this.#unit ? `{value}/{total} ${this.#unit}` : '{percentage}%';
      this.#bar = new SingleBar({
        format: `${this.#label} [{bar}] ${counts}`,
        stream: this.#stream,
        clearOnComplete: true,
        hideCursor: true,
        barsize: 30,
      });
      this.#bar.start(total, 0);
    }
    this.#bar.setTotal(total);
    this.#bar.update(value);
  }

  /** Removes the bar (before anything else is written to the terminal). */
  stop(): void {
    if (!this.#bar) return;
    this.#bar.stop();
    this.#bar = null;
  }
}
