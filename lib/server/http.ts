/** Reading JSON request bodies and writing JSON responses on node:http. @internal */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, badRequest, toHttpError } from './errors';

/** Reads the request body as JSON (an object), at most `limit` bytes; 413 beyond, 400 for anything but a JSON object. */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\b/i.test(type) && !/\+json\b/i.test(type)) {
    throw badRequest(`the body must be JSON (Content-Type: application/json), got ${type}`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `the body is larger than ${limit} bytes`, 'invalid_request_error');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > limit) throw new HttpError(413, `the body is larger than ${limit} bytes`, 'invalid_request_error');
    parts.push(part as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends an OpenAI-shaped error for `err` (when the response has not started). */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const error = toHttpError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, error.status, error.body());
}
