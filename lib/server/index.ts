/** The OpenAI-compatible HTTP server: {@link createServer}; see docs/server.md. */
export { createServer, LlamaServer } from './server';
export type { ServerAddress, ServerStats } from './server';
export type { ServerOptions } from './options';
export type { OpenAIErrorBody } from './errors';
