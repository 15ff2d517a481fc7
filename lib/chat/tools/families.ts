/**
 * Which tool-call format a chat template uses, found the way the template
 * itself shows it: the template renders a probe conversation holding an
 * assistant tool call, and the render is matched against each format's
 * signature. What the template renders for a call is what its model was
 * trained to write. @internal
 */
import { argumentError } from '../../arguments';
import { compileTemplate } from '../jinja';
import { deepseekR1, deepseekV3 } from './formats/deepseek';
import { functionaryV31, functionaryV32 } from './formats/functionary';
import { gptOss } from './formats/gptOss';
import { hermes } from './formats/hermes';
import { generic, llama3 } from './formats/llama3';
import { mistral, mistralArgs } from './formats/mistral';
import type { ToolCallFamily, ToolFormat } from './types';

const PROBE = 'probe_function';
const PROBE_TOOLS = [
  { type: 'function', function: { name: PROBE, description: 'A probe.', parameters: { type: 'object', properties: { x: { type: 'string' } } } } },
];

/** Each format with the signature its calls have in a render (the probe call is `probe_function({"x": "y"})`). */
const SIGNATURES: ReadonlyArray<{ format: ToolFormat; signature: RegExp }> = [
  { format: gptOss, signature: /to=functions\.probe_function/ },
  { format: deepseekR1, signature: /<｜tool▁call▁begin｜>function<｜tool▁sep｜>probe_function\n```json\n/ },
  { format: deepseekV3, signature: /<｜tool▁call▁begin｜>probe_function<｜tool▁sep｜>\{/ },
  { format: mistralArgs(true), signature: /\[TOOL_CALLS\]probe_function\[CALL_ID\]/ },
  { format: mistralArgs(false), signature: /\[TOOL_CALLS\]probe_function\[ARGS\]/ },
  { format: mistral, signature: /\[TOOL_CALLS\]\s*\[\s*\{\s*"name":\s*"probe_function"/ },
  { format: functionaryV32, signature: />>>probe_function\n\{/ },
  { format: functionaryV31, signature: /<function=probe_function>\{/ },
  { format: hermes, signature: /<tool_call>\s*\{\s*"name":\s*"probe_function",\s*"arguments":/ },
  { format: llama3, signature: /\{\s*"name":\s*"probe_function",\s*"parameters":/ },
];

/** The probe conversations, in the variants templates differ on (arguments as an object or JSON text, content '' or null). */
function probeMessages(args: unknown, content: string | null): unknown[] {
  return [
    { role: 'user', content: 'Call the probe.' },
    { role: 'assistant', content, tool_calls: [{ id: 'call12345', type: 'function', function: { name: PROBE, arguments: args } }] },
  ];
}

/** What `source` renders for an assistant tool call ('' when no variant renders the call). */
export function renderProbe(source: string): string {
  let template;
  try {
    template = compileTemplate(source);
  } catch {
    return '';
  }
  for (const args of [{ x: 'y' }, '{"x": "y"}']) {
    for (const content of ['', null]) {
      try {
        const text = template.render(
          { bos_token: '', eos_token: '', messages: probeMessages(args, content), tools: PROBE_TOOLS, documents: null, add_generation_prompt: false },
          { now: () => new Date(2024, 6, 26) },
        );
        const at = text.indexOf(PROBE, text.indexOf('Call the probe.'));
        if (at !== -1 && text.slice(at).match(/"?x"?/)) return text;
      } catch {
        // this variant is refused by the template; try the next
      }
    }
  }
  return '';
}

const cache = new Map<string, ToolFormat>();

/** The tool-call format of a template (Jinja text); `generic` when its render matches no known format. */
export function detectToolFormat(source: string): ToolFormat {
  let format = cache.get(source);
  if (format === undefined) {
    const render = renderProbe(source);
    format = SIGNATURES.find((s) => s.signature.test(render))?.format ?? generic;
    if (cache.size > 64) cache.clear();
    cache.set(source, format);
  }
  return format;
}

/**
 * The tool-call format a chat template (its Jinja text, e.g.
 * `model.chatTemplate`) uses, as generate() finds it: by rendering an
 * assistant tool call with the template and matching the render against the
 * known formats; `'generic'` when none matches (see docs/tools.md).
 * `INVALID_ARGUMENT` when `template` is not a string.
 */
export function toolCallFamily(template: string): ToolCallFamily {
  if (typeof template !== 'string') argumentError('template', 'be the text of a chat template', template);
  return detectToolFormat(template).family;
}
