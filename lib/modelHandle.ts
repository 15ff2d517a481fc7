/**
 * The native handle behind each Model, kept apart from lib/model.ts so that
 * modules below it (sampling/) can recognise a Model and reach its
 * vocabulary without importing the class (which imports contexts and the
 * generation layer: an import cycle).
 * @internal
 */
import { invalidArgument } from './errors';
import type { NativeModel } from './native';

const handles = new WeakMap<object, NativeModel>();

/** Called once by the Model constructor. */
export function registerModel(model: object, handle: NativeModel): void {
  handles.set(model, handle);
}

/** Whether `value` is a Model created by loadModel(). */
export function isModel(value: unknown): boolean {
  return typeof value === 'object' && value !== null && handles.has(value);
}

/** The native handle of a model, for other native objects (samplers) that need its vocabulary. */
export function nativeModelOf(model: object): NativeModel {
  const handle = handles.get(model);
  if (!handle) throw invalidArgument('not a Model created by loadModel()');
  return handle;
}
