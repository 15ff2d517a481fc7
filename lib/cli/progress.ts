/**
 * Progress bars on stderr (cli-progress), shown only when stderr is a
 * terminal: piped or redirected output gets nothing.
 */
import { SingleBar } from 'cli-progress';

/** A progress bar that does nothing when stderr is not a TTY. */
export class Progress {
  #bar: SingleBar | null = null;
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #unit: string;
  readonly #stream: NodeJS.WritableStream;

  /**
   * @param label - shown before the bar
   * @param unit - shown after the counts (`''` shows a percentage instead)
   * @param enabled - defaults to whether stderr is a TTY
   * @param stream - where the bar is drawn (stderr)
   */
  constructor(label: string, unit = '', enabled = process.stderr.isTTY === true, stream: NodeJS.WritableStream = process.stderr) {
    this.#label = label;
    this.#unit = unit;
    this.#enabled = enabled;
    this.#stream = stream;
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
