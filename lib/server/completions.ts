/**
 * `POST /v1/completions` (OpenAI's legacy text completions): the prompt as
 * is (text or token ids, one or several), no chat template. Several prompts
 * run concurrently; choice `i * n + j` is prompt i's j-th output. @internal
 */
import type { GenerationInput, GenerationOutput, GenerationResult } from '../generation/types';
import type { Generation } from '../generation/generation';
import { clientSignal } from './clientSignal';
import { badRequest } from './errors';
import { startGeneration, streamFlags, type StreamFlags } from './generate';
import { readJson, sendJson } from './http';
import { requestConfig, splitRequest } from './requestConfig';
import { completionLogprobs, finishReason, now, responseId, usage } from './shapes';
import { chunkEvents, SseStream } from './sse';
import type { RequestContext, ServerState } from './state';

/** The completion request fields the endpoint reads itself; the others are generation config. */
const COMPLETION_FIELDS = ['prompt', 'model', 'stream', 'stream_options', 'echo', 'suffix', 'best_of', 'logprobs'];

/** OpenAI's default `max_tokens` for completions. */
const DEFAULT_MAX_TOKENS = 16;

function isTokenList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'number');
}

/** The prompts of a request: a string, a list of strings, token ids, or a list of token id lists. */
function prompts(value: unknown): GenerationInput[] {
  if (typeof value === 'string') return [value];
  if (isTokenList(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === 'string' || isTokenList(p))) return value as GenerationInput[];
  throw badRequest('prompt must be a string, an array of strings, an array of token ids or an array of token id arrays', 'prompt');
}

/** The legacy `logprobs` (an integer 0..5: the chosen tokens' logprobs and that many alternatives) as config fields. */
function logprobsFields(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20) {
    throw badRequest('logprobs must be an integer in [0, 20] for completions', 'logprobs');
  }
  return value > 0 ? { logprobs: true, top_logprobs: value } : { logprobs: true };
}

interface Run {
  prompt: GenerationInput;
  /** The echoed prompt text ('' without echo). */
  echo: string;
  generation: Generation;
}

function choiceOf(state: ServerState, run: Run, output: GenerationOutput, index: number): Record<string, unknown> {
  return {
    index,
    text: run.echo + output.text,
    logprobs: output.logprobs ? completionLogprobs(state.model, output.logprobs, run.echo.length) : null,
    finish_reason: finishReason(output.finishReason),
  };
}

function totalUsage(results: GenerationResult[]): Record<string, unknown> {
  return usage({
    promptTokens: results.reduce((s, r) => s + r.usage.promptTokens, 0),
    cachedPromptTokens: results.reduce((s, r) => s + r.usage.cachedPromptTokens, 0),
    completionTokens: results.reduce((s, r) => s + r.usage.completionTokens, 0),
  });
}

async function respond(rc: RequestContext, runs: Run[], n: number, signal: AbortSignal): Promise<void> {
  const results = await Promise.all(runs.map((r) => r.generation.result));
  if (rc.state.shutdown.aborted) throw rc.state.shutdown.reason;
  if (signal.aborted) return;
  sendJson(rc.res, 200, {
    id: responseId('cmpl'),
    object: 'text_completion',
    created: now(),
    model: rc.state.modelId,
    choices: results.flatMap((result, p) => result.sequences.map((s) => choiceOf(rc.state, runs[p], s, p * n + s.index))),
    usage: totalUsage(results),
    system_fingerprint: 'llama-generate',
  });
}

async function stream(rc: RequestContext, runs: Run[], n: number, flags: StreamFlags): Promise<void> {
  const { state } = rc;
  const sse = new SseStream(rc.res);
  const id = responseId('cmpl');
  const created = now();
  const event = chunkEvents(id, 'text_completion', created, state.modelId, flags.includeUsage);
  // Prompts run concurrently; their events are sent in the order they come, one at a time.
  let sending: Promise<void> = Promise.resolve();
  const send = (data: Record<string, unknown>): Promise<void> => (sending = sending.then(() => sse.send(data)));
  try {
    const results = await Promise.all(
      runs.map(async (run, p) => {
        const sent = new Map<number, number>(); // characters of each output's text sent so far
        const finished = new Set<number>(); // outputs whose finish_reason went out with their last chunk
        for await (const chunk of run.generation) {
          const index = p * n + chunk.index;
          const before = sent.get(chunk.index);
          const text = (before === undefined ? run.echo : '') + chunk.text;
          const at = before ?? run.echo.length; // where this chunk's generated text starts in the choice's text
          sent.set(chunk.index, at + chunk.text.length);
          const finish = chunk.finishReason !== undefined && !state.shutdown.aborted ? finishReason(chunk.finishReason) : null;
          if (text === '' && !chunk.logprobs?.length && finish === null) continue;
          const logprobs = chunk.logprobs?.length ? completionLogprobs(state.model, chunk.logprobs, at) : null;
          if (finish !== null) finished.add(chunk.index);
          await send(event([{ index, text, logprobs, finish_reason: finish }]));
        }
        const result = await run.generation.result;
        for (const s of result.sequences) {
          if (!finished.has(s.index)) await send(event([{ index: p * n + s.index, text: '', logprobs: null, finish_reason: finishReason(s.finishReason) }]));
        }
        return result;
      }),
    );
    await sending;
    if (state.shutdown.aborted) throw state.shutdown.reason;
    if (sse.closed) return;
    if (flags.includeUsage) await sse.send(event([], { usage: totalUsage(results) }));
    sse.done();
  } catch (err) {
    for (const run of runs) run.generation.abort();
    sse.fail(err);
  }
}

/** Handles `POST /v1/completions`. */
export async function completions(rc: RequestContext): Promise<void> {
  const { state, req, res } = rc;
  const body = await readJson(req, state.maxBodyBytes);
  const { own, config } = splitRequest(body, COMPLETION_FIELDS);
  if (own.model !== undefined && typeof own.model !== 'string') throw badRequest('model must be a string', 'model');
  const inputs = prompts(own.prompt);
  const flags = streamFlags(own);
  if (own.suffix !== undefined && own.suffix !== null && own.suffix !== '') throw badRequest('suffix (fill-in-the-middle) is not supported', 'suffix', 'unsupported');
  if (own.best_of !== undefined && own.best_of !== null && own.best_of !== 1) throw badRequest('best_of is not supported (only 1)', 'best_of', 'unsupported');
  if (own.echo !== undefined && own.echo !== null && typeof own.echo !== 'boolean') throw badRequest('echo must be a boolean', 'echo');
  const echo = own.echo === true;
  const lp = logprobsFields(own.logprobs);
  if (echo && lp.logprobs) throw badRequest('echo with logprobs (the prompt tokens\' logprobs) is not supported', 'echo', 'unsupported');
  const resolved = requestConfig(state.layers, { max_new_tokens: DEFAULT_MAX_TOKENS }, { ...config, ...lp });
  const n = resolved.values.num_return_sequences;
  const leave = state.admission.enter();
  try {
    const signal = clientSignal(res, state.shutdown);
    const runs: Run[] = [];
    try {
      for (const prompt of inputs) {
        const text = !echo ? '' : typeof prompt === 'string' ? prompt : state.model.detokenize(prompt as number[]);
        runs.push({ prompt, echo: text, generation: startGeneration(state, prompt, resolved, { includeStopString: false, signal }) });
      }
    } catch (err) {
      for (const run of runs) run.generation.abort();
      throw err;
    }
    await (flags.stream ? stream(rc, runs, n, flags) : respond(rc, runs, n, signal));
  } finally {
    leave();
  }
}
