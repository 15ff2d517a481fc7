/** `llama-generate tokenize <model.gguf> <text>`: the model's tokens for a text. */
import { parseCommand, standardFlags } from '../command';
import { flagBoolean, flagText, type Flag } from '../flags';
import type { CommandIo } from '../io';
import { openModel } from '../openModel';
import { UsageError } from '../usageError';

/** The flags of `tokenize`. */
export function tokenizeFlags(): Flag[] {
  return [
    { name: 'add-special', type: 'boolean', value: 'bool', defaultText: 'true', help: 'add the special tokens the model wants (BOS...)' },
    { name: 'parse-special', type: 'boolean', value: 'bool', defaultText: 'false', help: 'read special-token text (<|im_start|>...) as those tokens' },
    { name: 'ids', type: 'boolean', help: 'print only the ids, as a JSON array' },
    { name: 'json', type: 'boolean', help: 'print [{ id, piece }] as JSON' },
    ...standardFlags(),
  ];
}

const HELP = {
  usage: 'llama-generate tokenize <model.gguf> <text> [flags]',
  description: 'Prints the tokens of the text, one per line: the id and the piece of text it stands for.\nOnly the vocabulary is loaded.',
  examples: ['llama-generate tokenize model.gguf "Hello world"', 'llama-generate tokenize model.gguf "Hello" --ids --add-special false'],
};

/** Runs `tokenize`; returns the exit code. */
export async function tokenize(argv: readonly string[], io: CommandIo): Promise<number> {
  const line = parseCommand(argv, tokenizeFlags(), HELP, io);
  if (!line) return 0;
  const { parsed, modelPath: path, rest: words } = line;
  if (words.length === 0) throw new UsageError('missing the text: llama-generate tokenize <model.gguf> <text>');
  const text = words.join(' ');
  const addSpecial = flagText(parsed, 'add-special') === undefined ? true : flagBoolean(parsed, 'add-special');
  const parseSpecial = flagBoolean(parsed, 'parse-special');
  const model = await openModel(path, { vocabOnly: true }, io);
  try {
    const ids = Array.from(model.tokenize(text, { addSpecial, parseSpecial }));
    const pieces = ids.map((id) => Buffer.from(model.tokenToPiece(id, { special: true })).toString('utf8'));
    if (flagBoolean(parsed, 'ids')) io.stdout.write(JSON.stringify(ids) + '\n');
    else if (flagBoolean(parsed, 'json')) io.stdout.write(JSON.stringify(ids.map((id, i) => ({ id, piece: pieces[i] })), null, 2) + '\n');
    else io.stdout.write(ids.map((id, i) => `${String(id).padStart(6)} ${JSON.stringify(pieces[i])}\n`).join(''));
    return 0;
  } finally {
    await model.disposeAsync();
  }
}
