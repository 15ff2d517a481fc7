/** Turns a generate() input (text, token ids, chat messages) into prompt tokens. @internal */
import { renderChat } from '../chat/render';
import type { ChatModel } from '../chat/template';
import type { ChatMessage, ChatPromptInfo, ChatTemplateOptions } from '../chat/types';
import { invalidArgument } from '../errors';
import type { Model } from '../model';
import { toTokenArray } from '../tokens';
import type { GenerateOptions, GenerationInput } from './types';

function isChat(input: GenerationInput): input is readonly ChatMessage[] {
  return Array.isArray(input) && input.length > 0 && typeof input[0] === 'object' && input[0] !== null;
}

/**
 * Renders chat messages with the model's chat template (or
 * `options.chatTemplate`): see {@link renderChat}. Returns the text.
 */
export function applyChatTemplate(model: ChatModel, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  return renderChat(model, messages, options).text;
}

/**
 * The tokens of a rendered chat: special-token text (`<|im_start|>`) becomes
 * special tokens, as transformers' `apply_chat_template(tokenize=True)` does,
 * and BOS is added as the vocabulary asks (`addSpecial`, default `true`) only
 * when the render does not already start with it.
 */
function chatTokens(model: Model, text: string, options: GenerateOptions): Int32Array {
  const tokens = model.tokenize(text, { addSpecial: false, parseSpecial: options.parseSpecial ?? true });
  if (!(options.addSpecial ?? true)) return tokens;
  const { bos, eos } = model.specialTokens;
  const addBos = model.addsBos && bos !== null && tokens[0] !== bos;
  const addEos = model.addsEos && eos !== null;
  if (!addBos && !addEos) return tokens;
  const out = new Int32Array(tokens.length + (addBos ? 1 : 0) + (addEos ? 1 : 0));
  if (addBos) out[0] = bos as number;
  out.set(tokens, addBos ? 1 : 0);
  if (addEos) out[out.length - 1] = eos as number;
  return out;
}

/** A prompt ready to run: its tokens, and for chat input how the messages were rendered. */
export interface PreparedPrompt {
  tokens: Int32Array;
  /** Chat input only. */
  chat?: ChatPromptInfo;
}

/** The prompt tokens of `input` (and, for chat input, the render that made them). */
export function preparePrompt(model: Model, input: GenerationInput, options: GenerateOptions): PreparedPrompt {
  let tokens: Int32Array;
  let chat: ChatPromptInfo | undefined;
  if (typeof input === 'string') {
    tokens = model.tokenize(input, { addSpecial: options.addSpecial ?? true, parseSpecial: options.parseSpecial ?? false });
  } else if (isChat(input)) {
    chat = renderChat(model, input, options, true);
    tokens = chatTokens(model, chat.text, options);
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
  return chat === undefined ? { tokens } : { tokens, chat };
}

/** The prompt tokens of `input`. */
export function promptTokens(model: Model, input: GenerationInput, options: GenerateOptions): Int32Array {
  return preparePrompt(model, input, options).tokens;
}
