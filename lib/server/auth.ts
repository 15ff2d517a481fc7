/** The optional API key: `Authorization: Bearer <key>`, compared in constant time. @internal */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks requests against `apiKey` (none: every request passes). */
export function authenticator(apiKey: string | undefined): (req: IncomingMessage) => void {
  if (apiKey === undefined) return () => undefined;
  const expected = digest(apiKey);
  return (req) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) {
      throw new HttpError(401, 'missing API key: send it as Authorization: Bearer <key>', 'invalid_request_error', null, 'invalid_api_key');
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(401, 'incorrect API key provided', 'invalid_request_error', null, 'invalid_api_key');
    }
  };
}
