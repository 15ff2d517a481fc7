/**
 * `POST /v1/chat/completions`: messages rendered with the model's chat
 * template, generated on the shared context, answered as one
 * `chat.completion` or streamed as `chat.completion.chunk` events. @internal
 */
import type { GenerationOutput } from '../generation/types';
import { chatMessages } from './chatMessages';
import { clientSignal } from './clientSignal';
import { badRequest } from './errors';
import { startGeneration, streamFlags, type StreamFlags } from './generate';
import { readJson, sendJson } from './http';
import { requestConfig, splitRequest } from './requestConfig';
import { chatLogprobs, finishReason, now, responseId, usage } from './shapes';
import { chunkEvents, SseStream } from './sse';
import type { RequestContext, ServerState } from './state';
import { openAIToolCalls, toolOptions } from './toolCalls';
import type { Generation } from '../generation/generation';

/** The chat request fields the endpoint reads itself; the others are generation config. */
const CHAT_FIELDS = ['messages', 'model', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'chat_template_kwargs'];

/** Template variables from `chat_template_kwargs` (llama.cpp's server's field) and `reasoning_effort`. */
function templateKwargs(own: Record<string, unknown>): Record<string, unknown> | undefined {
  const kwargs = own.chat_template_kwargs;
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs))) {
    throw badRequest('chat_template_kwargs must be an object', 'chat_template_kwargs');
  }
  const out: Record<string, unknown> = { ...(kwargs as Record<string, unknown> | undefined) };
  if (own.reasoning_effort !== undefined && own.reasoning_effort !== null) {
    if (typeof own.reasoning_effort !== 'string') throw badRequest('reasoning_effort must be a string', 'reasoning_effort');
    out.reasoning_effort = own.reasoning_effort;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One choice of a `chat.completion`. */
function choice(state: ServerState, output: GenerationOutput): Record<string, unknown> {
  const calls = output.toolCalls && output.toolCalls.length > 0 ? openAIToolCalls(output.toolCalls) : undefined;
  const message: Record<string, unknown> = { role: 'assistant', content: calls && output.text === '' ? null : output.text };
  if (output.reasoning !== undefined) message.reasoning_content = output.reasoning;
  if (calls) message.tool_calls = calls;
  message.refusal = null;
  return {
    index: output.index,
    message,
    logprobs: output.logprobs ? { content: chatLogprobs(state.model, output.logprobs), refusal: null } : null,
    finish_reason: finishReason(output.finishReason, calls !== undefined),
  };
}

async function respond(rc: RequestContext, generation: Generation, signal: AbortSignal): Promise<void> {
  const result = await generation.result;
  if (rc.state.shutdown.aborted) throw rc.state.shutdown.reason;
  if (signal.aborted) return;
  sendJson(rc.res, 200, {
    id: responseId('chatcmpl'),
    object: 'chat.completion',
    created: now(),
    model: rc.state.modelId,
    choices: result.sequences.map((s) => choice(rc.state, s)),
    usage: usage(result.usage),
    system_fingerprint: 'llama-generate',
  });
}

async function stream(rc: RequestContext, generation: Generation, flags: StreamFlags, n: number): Promise<void> {
  const { state } = rc;
  const sse = new SseStream(rc.res);
  const id = responseId('chatcmpl');
  const created = now();
  const event = chunkEvents(id, 'chat.completion.chunk', created, state.modelId, flags.includeUsage);
  const finished = new Set<number>(); // choices whose finish_reason went out
  try {
    for (let index = 0; index < n; index++) {
      await sse.send(event([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    }
    for await (const chunk of generation) {
      const delta: Record<string, unknown> = {};
      if (chunk.text !== '') delta.content = chunk.text;
      if (chunk.reasoning) delta.reasoning_content = chunk.reasoning;
      const calls = chunk.toolCalls !== undefined && chunk.toolCalls.length > 0;
      if (calls) delta.tool_calls = openAIToolCalls(chunk.toolCalls!);
      const logprobs = chunk.logprobs?.length ? { content: chatLogprobs(state.model, chunk.logprobs), refusal: null } : null;
      if (Object.keys(delta).length > 0 || logprobs !== null) {
        await sse.send(event([{ index: chunk.index, delta, logprobs, finish_reason: null }]));
      }
      if (chunk.finishReason !== undefined && !state.shutdown.aborted) {
        // the last chunk of a choice: OpenAI sends its finish_reason with an empty delta
        finished.add(chunk.index);
        await sse.send(event([{ index: chunk.index, delta: {}, logprobs: null, finish_reason: finishReason(chunk.finishReason, calls) }]));
      }
    }
    const result = await generation.result;
    if (state.shutdown.aborted) throw state.shutdown.reason;
    if (sse.closed) return;
    for (const output of result.sequences) {
      if (finished.has(output.index)) continue;
      await sse.send(event([{ index: output.index, delta: {}, logprobs: null, finish_reason: finishReason(output.finishReason) }]));
    }
    if (flags.includeUsage) await sse.send(event([], { usage: usage(result.usage) }));
    sse.done();
  } catch (err) {
    sse.fail(err);
  }
}

/** Handles `POST /v1/chat/completions`. */
export async function chatCompletions(rc: RequestContext): Promise<void> {
  const { state, req, res } = rc;
  const body = await readJson(req, state.maxBodyBytes);
  const { own, config } = splitRequest(body, CHAT_FIELDS);
  if (own.model !== undefined && typeof own.model !== 'string') throw badRequest('model must be a string', 'model');
  const messages = chatMessages(own.messages);
  const flags = streamFlags(own);
  const resolved = requestConfig(state.layers, { max_new_tokens: state.context.sequenceContextSize }, config);
  const kwargs = templateKwargs(own);
  const leave = state.admission.enter();
  try {
    const signal = clientSignal(res, state.shutdown);
    const generation = startGeneration(state, messages, resolved, {
      ...state.chat,
      ...toolOptions(own.tools, own.tool_choice, own.parallel_tool_calls),
      ...(kwargs ? { templateKwargs: { ...state.chat.templateKwargs, ...kwargs } } : {}),
      includeStopString: false,
      signal,
    });
    const n = resolved.values.num_return_sequences;
    await (flags.stream ? stream(rc, generation, flags, n) : respond(rc, generation, signal));
  } finally {
    leave();
  }
}
