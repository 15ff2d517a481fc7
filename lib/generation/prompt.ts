/** Turns a generate() input (text, token ids, chat messages) into prompt tokens. @internal */
import { invalidArgument } from '../errors';
import type { Model } from '../model';
import { native } from '../native';
import { toTokenArray } from '../tokens';
import type { ChatMessage, GenerateOptions, GenerationInput } from './types';

function isChat(input: GenerationInput): input is readonly ChatMessage[] {
  return Array.isArray(input) && input.length > 0 && typeof input[0] === 'object' && input[0] !== null;
}

/** Checks chat messages: objects with string `role` and `content`. */
export function checkMessages(messages: readonly unknown[]): ChatMessage[] {
  return messages.map((m, i) => {
    if (m === null || typeof m !== 'object') throw invalidArgument(`messages[${i}] must be an object with role and content`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || role.length === 0) throw invalidArgument(`messages[${i}].role must be a non-empty string`);
    if (typeof content !== 'string') throw invalidArgument(`messages[${i}].content must be a string`);
    return { role, content };
  });
}

/**
 * Renders chat messages with `template` (default: the model's
 * `tokenizer.chat_template`) through llama.cpp's built-in template support.
 * Throws `INVALID_ARGUMENT` when there is no template and `UNSUPPORTED` when
 * llama.cpp does not recognise it.
 */
export function applyChatTemplate(
  model: Model,
  messages: readonly ChatMessage[],
  options: { chatTemplate?: string; addGenerationPrompt?: boolean } = {},
): string {
  const template = options.chatTemplate ?? model.chatTemplate;
  if (template === undefined || template === '') {
    throw invalidArgument(
      'this model has no chat template (tokenizer.chat_template); pass options.chatTemplate (a template or a name such as "chatml")',
    );
  }
  if (typeof template !== 'string') throw invalidArgument('chatTemplate must be a string');
  return native().applyChatTemplate(template, checkMessages(messages), options.addGenerationPrompt ?? true);
}

/** The prompt tokens of `input`. */
export function promptTokens(model: Model, input: GenerationInput, options: GenerateOptions): Int32Array {
  let tokens: Int32Array;
  if (typeof input === 'string') {
    tokens = model.tokenize(input, { addSpecial: options.addSpecial ?? true, parseSpecial: options.parseSpecial ?? false });
  } else if (isChat(input)) {
    const text = applyChatTemplate(model, input, options);
    // Templates that write BOS as text would get a second one from addSpecial.
    tokens = model.tokenize(text, { addSpecial: options.addSpecial ?? true, parseSpecial: options.parseSpecial ?? true });
    const bos = model.specialTokens.bos;
    if (bos !== null && tokens.length > 1 && tokens[0] === bos && tokens[1] === bos) tokens = tokens.subarray(1);
  } else {
    const ids = toTokenArray(input as ArrayLike<number>);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) {
        throw invalidArgument(`prompt token ${i} (${String(id)}) is not a token id of this model (0..${model.vocabSize - 1})`);
      }
    }
    tokens = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  }
  if (tokens.length === 0) {
    const bos = model.specialTokens.bos;
    if (bos === null) throw invalidArgument('the prompt is empty and the model has no BOS token to start from');
    tokens = Int32Array.of(bos); // transformers starts an empty prompt from BOS too
  }
  return tokens;
}
