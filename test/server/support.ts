/** Starting a server on stories260K for the server tests, and an openai client for it. */
import OpenAI from 'openai';
import { createServer, loadModel, type LlamaServer, type Model, type ServerOptions } from '../../lib/index';
import { STORIES_MODEL } from '../support/models';

export { STORIES_MODEL };

/** A running server and a client pointed at it. */
export interface TestServer {
  model: Model;
  server: LlamaServer;
  url: string;
  client: OpenAI;
  /** A client with another key (or none). */
  clientWith(apiKey: string): OpenAI;
  close(): Promise<void>;
}

/** Loads stories260K (or uses `model`), starts a server on a free port with `options`. */
export async function startServer(options: Omit<ServerOptions, 'model' | 'context'> = {}, model?: Model): Promise<TestServer> {
  const own = model === undefined;
  const m = model ?? (await loadModel(STORIES_MODEL));
  const server = createServer({ model: m, ...options });
  const { url } = await server.listen(0, '127.0.0.1');
  // no retries: a 429 or 5xx must reach the test as it is
  const clientWith = (apiKey: string): OpenAI => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  return {
    model: m,
    server,
    url,
    client: clientWith(options.apiKey ?? 'no-key'),
    clientWith,
    close: async () => {
      await server.close();
      if (own) m.dispose();
    },
  };
}

/** Polls `check` every 10 ms until it is true; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

/** A chat template rendering tools into the prompt (stories260K has none), in Jinja as transformers runs it. */
export const CHATML_WITH_TOOLS =
  "{% if tools %}{{ '<|im_start|>system\\nTools: ' + (tools | tojson) + '<|im_end|>\\n' }}{% endif %}" +
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
