/** `GET /v1/models` and `GET /v1/models/{id}`: the one model this server serves. @internal */
import { HttpError } from './errors';
import { sendJson } from './http';
import type { RequestContext, ServerState } from './state';

function modelObject(state: ServerState): Record<string, unknown> {
  const m = state.model;
  return {
    id: state.modelId,
    object: 'model',
    created: state.created,
    owned_by: 'llama-generate',
    meta: {
      architecture: m.architecture,
      parameters: m.parameterCount,
      size_bytes: m.sizeBytes,
      vocab_size: m.vocabSize,
      embedding_size: m.embeddingSize,
      train_context_size: m.trainContextSize,
      context_size: state.context.contextSize,
      parallel: state.context.sequences,
    },
  };
}

/** Handles `GET /v1/models`. */
export async function listModels(rc: RequestContext): Promise<void> {
  sendJson(rc.res, 200, { object: 'list', data: [modelObject(rc.state)] });
}

/** Handles `GET /v1/models/{id}`. */
export async function retrieveModel(rc: RequestContext, id: string): Promise<void> {
  if (id !== rc.state.modelId) throw new HttpError(404, `the model '${id}' does not exist (this server serves '${rc.state.modelId}')`, 'invalid_request_error', 'model', 'model_not_found');
  sendJson(rc.res, 200, modelObject(rc.state));
}
