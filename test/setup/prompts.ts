/** Prompts whose greedy continuations are checked against llama.cpp's llama-simple. */
export const REFERENCE_TOKENS = 40;

export const STORIES_PROMPTS = [
  'Once upon a time',
  'The little dog',
  'Lily and Ben went to the',
  'One day, a bird',
  'Tom had a big red ball',
] as const;

export const RANDOM_MODEL_PROMPTS = ['Hello world', 'The quick brown fox'] as const;

/** One reference run: what llama-simple printed to stdout for a prompt. */
export interface ReferenceRun {
  model: string;
  prompt: string;
  tokens: number;
  stdout: string;
}

/** Provided to tests by the global setup; `skipReason` says why there are no references. */
export interface References {
  runs: ReferenceRun[];
  skipReason?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    references: References;
  }
}
