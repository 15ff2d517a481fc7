/**
 * The Jinja renderer loads from the built package both ways: `require()` of the
 * CommonJS build and `import` of the ESM entry (dist/index.mjs re-exports the
 * CommonJS build, which loads @huggingface/jinja's own CommonJS build).
 * Needs `npm run build:ts` (run by `npm test`); skipped when dist/ has no chat renderer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child';
import { ROOT } from '../support/models';

const BUILT = existsSync(join(ROOT, 'dist', 'chat', 'jinja', 'library.js')) && existsSync(join(ROOT, 'dist', 'index.mjs'));
const TEMPLATE = "{{ bos_token }}{{ messages[0].content|upper }}{{ (1,)|tojson }}{{ none }}";
const RENDER = `m.applyChatTemplate([{ role: 'user', content: 'hi' }], { chatTemplate: ${JSON.stringify(TEMPLATE)} })`;

describe.skipIf(!BUILT)('the chat renderer from the built package', () => {
  it('works through require()', () => {
    const r = runChild(
      `const { loadModel } = require('./dist/index.js');
       loadModel('models/stories260K.gguf').then((m) => { process.stdout.write(${RENDER}); m.dispose(); });`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('<s>HI[1]None');
  });

  it('works through import', () => {
    const r = runChild(
      `import('./dist/index.mjs').then(async ({ loadModel }) => {
         const m = await loadModel('models/stories260K.gguf');
         process.stdout.write(${RENDER});
         m.dispose();
       });`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('<s>HI[1]None');
  });
});
