/** Loading a model for a command, with a progress bar on a terminal. */
import { loadModel, type LoadModelOptions, type Model } from '../model';
import { Progress } from './progress';

/** Loads `path` with `options`, showing the load progress on stderr when it is a TTY. */
export async function openModel(path: string, options: LoadModelOptions): Promise<Model> {
  const progress = new Progress('loading model');
  try {
    return await loadModel(path, { ...options, onProgress: (p) => progress.update(Math.round(p * 100), 100) });
  } finally {
    progress.stop();
  }
}
