/**
 * The routes: method + path → handler. Every route but `GET /health` needs
 * the API key when the server has one. An unknown path is a 404, a known
 * path with another method a 405, both OpenAI-shaped. @internal
 */
import type { IncomingMessage } from 'node:http';
import { chatCompletions } from './chat';
import { completions } from './completions';
import { embeddings } from './embeddings';
import { HttpError } from './errors';
import { sendJson } from './http';
import { listModels, retrieveModel } from './models';
import { rerank } from './rerank';
import type { RequestContext } from './state';

/** A route's handler; `params` are the path's `{...}` parts. */
type Handler = (rc: RequestContext, ...params: string[]) => Promise<void>;

interface Route {
  method: string;
  path: RegExp;
  handler: Handler;
  /** Whether the API key is checked. */
  auth: boolean;
}

async function health(rc: RequestContext): Promise<void> {
  sendJson(rc.res, 200, { status: 'ok', model: rc.state.modelId });
}

const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/health$/, handler: health, auth: false },
  { method: 'GET', path: /^\/v1\/models$/, handler: listModels, auth: true },
  { method: 'GET', path: /^\/v1\/models\/(.+)$/, handler: retrieveModel, auth: true },
  { method: 'POST', path: /^\/v1\/chat\/completions$/, handler: chatCompletions, auth: true },
  { method: 'POST', path: /^\/v1\/completions$/, handler: completions, auth: true },
  { method: 'POST', path: /^\/v1\/embeddings$/, handler: embeddings, auth: true },
  { method: 'POST', path: /^\/v1\/rerank$/, handler: rerank, auth: true },
];

/** The route of a request and its path parameters; throws 404 / 405. */
export function route(req: IncomingMessage): { route: Route; params: string[] } {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  const matching = ROUTES.filter((r) => r.path.test(path));
  if (matching.length === 0) throw new HttpError(404, `no such endpoint: ${req.method} ${path}`, 'invalid_request_error', null, 'not_found');
  const found = matching.find((r) => r.method === req.method);
  if (!found) {
    const allowed = [...new Set(matching.map((r) => r.method))].join(', ');
    throw new HttpError(405, `${req.method} is not allowed on ${path} (allowed: ${allowed})`, 'invalid_request_error', null, 'method_not_allowed');
  }
  const params = found.path.exec(path)!.slice(1).map((p) => decodeURIComponent(p));
  return { route: found, params };
}
