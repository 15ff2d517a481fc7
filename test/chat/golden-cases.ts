/** Shared by the chat template oracle tests: a model without a template, the oracle's clock. */
import type { ChatModel } from '../../lib/chat/template';

/** The oracle's clock: `strftime_now` formats 2024-07-26 00:00:00 (local time, as Python's naive datetime). */
export const ORACLE_NOW = new Date(2024, 6, 26, 0, 0, 0);

/** A model with no template of its own and no special tokens: every case passes its template and tokens as options. */
export const NO_MODEL: ChatModel = {
  chatTemplate: undefined,
  metadata: {},
  specialTokens: { bos: null, eos: null },
  tokenToPiece: () => new Uint8Array(0),
};
