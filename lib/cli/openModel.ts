/** Loading a model for a command, with a progress bar on a terminal. */
import { loadModel, type LoadModelOptions, type Model } from '../model';
import type { CommandIo } from './io';
import { Progress } from './progress';

/** Loads `path` with `options`, showing the load progress on the command's stderr when it is a TTY. */
export async function openModel(path: string, options: LoadModelOptions, io: CommandIo): Promise<Model> {
  const progress = new Progress(io, 'loading model');
  try {
    return await loadModel(path, { ...options, onProgress: (p) => progress.update(Math.round(p * 100), 100) });
  } finally {
    progress.stop();
  }
}
