/** An AbortSignal that fires when the client goes away before the response is complete. @internal */
import type { ServerResponse } from 'node:http';

/**
 * Aborts when `res` closes (the client disconnected) before it was ended, or
 * when `also` aborts (the server is closing). The listener on `also` is
 * removed when the response closes, so a long-lived `also` holds nothing of
 * finished requests.
 */
export function clientSignal(res: ServerResponse, also?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const onAlso = (): void => controller.abort(also?.reason);
  if (also?.aborted) onAlso();
  else also?.addEventListener('abort', onAlso, { once: true });
  res.once('close', () => {
    also?.removeEventListener('abort', onAlso);
    if (!res.writableEnded) controller.abort(new Error('the client disconnected'));
  });
  return controller.signal;
}
