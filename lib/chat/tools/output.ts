/**
 * Reading a chat output as it streams: reasoning and answer apart, tool-call
 * text held back from the answer, and at the end the tool calls parsed. One
 * parser per output. @internal
 */
import { openAIId } from './formats/common';
import { partialSuffix, splitReasoning, type ReasoningFormat } from './reasoning';
import type { ToolCall, ToolFormat } from './types';

/** What a chat output is read with. */
export interface OutputSpec {
  /** The template's reasoning markers, when reasoning is separated. */
  reasoning?: ReasoningFormat;
  /** The template's tool-call format (also used without tools by formats whose answers have headers: gpt-oss, functionary 3.2). */
  format?: ToolFormat;
  /** The tools whose calls are parsed (absent: calls are not parsed). */
  toolNames?: ReadonlySet<string>;
}

/** Text for the reader: answer text and reasoning text. */
export interface OutputDelta {
  text: string;
  reasoning: string;
}

/** The whole output, read. */
export interface OutputFinal {
  /** The answer, without reasoning or tool-call text. */
  text: string;
  /** The reasoning (undefined when the output had none). */
  reasoning: string | undefined;
  /** The tool calls (empty when none). */
  toolCalls: ToolCall[];
  /** What is left to hand to the reader (what streaming held back). */
  delta: OutputDelta;
}

/** The text of `next` after `shown` when it extends it, else '' (streamed text is never taken back). */
function extension(shown: string, next: string): string {
  return next.length > shown.length && next.startsWith(shown) ? next.slice(shown.length) : '';
}

/** Reads one output. */
export class ChatOutputParser {
  readonly #spec: OutputSpec;
  readonly #opening: RegExp | undefined;
  #raw = '';
  #shownText = '';
  #shownReasoning = '';

  constructor(spec: OutputSpec) {
    this.#spec = spec;
    const f = spec.format;
    if (f && spec.toolNames) {
      const opening = f.openingFor ? f.openingFor([...spec.toolNames]) : f.opening;
      this.#opening = new RegExp(f.atStart ? `^\\s*(?:${opening})` : opening);
    }
  }

  /** The output text so far, as generated. */
  get raw(): string {
    return this.#raw;
  }

  /** Takes the next generated text; returns what can be shown of it now. */
  push(text: string): OutputDelta {
    this.#raw += text;
    const { reasoning, answer } = this.#split(true);
    const content = answer === undefined ? '' : this.#visible(answer);
    return this.#show(content, reasoning);
  }

  /** Reads the whole output: answer, reasoning, tool calls, and what is left to show. */
  finish(): OutputFinal {
    const split = this.#split(false);
    let reasoning = split.reasoning;
    let text = split.answer ?? '';
    let toolCalls: ToolCall[] = [];
    const { format, toolNames } = this.#spec;
    if (format && (toolNames || format.visible)) {
      const parsed = format.parse(text);
      if (parsed.reasoning) reasoning = reasoning ? `${reasoning}\n${parsed.reasoning}` : parsed.reasoning;
      const valid = toolNames !== undefined && parsed.calls.every((c) => toolNames.has(c.name));
      if (valid || toolNames === undefined) text = parsed.content;
      if (toolNames !== undefined) text = text.trim(); // as the text around calls is
      if (valid) {
        toolCalls = parsed.calls.map((c) => ({
          id: c.id ?? (format.makeId ?? openAIId)(),
          name: c.name,
          arguments: JSON.stringify(c.arguments),
        }));
      }
    }
    const delta = this.#show(text, reasoning);
    const hadReasoning = this.#spec.reasoning !== undefined && (reasoning !== '' || this.#opened());
    return { text, reasoning: hadReasoning ? reasoning : undefined, toolCalls, delta };
  }

  /** Whether the output had a reasoning section (even an empty one). */
  #opened(): boolean {
    const r = this.#spec.reasoning;
    return r !== undefined && (r.forcedOpen || this.#raw.trimStart().startsWith(r.open));
  }

  #split(partial: boolean): { reasoning: string; answer: string | undefined } {
    const r = this.#spec.reasoning;
    return r ? splitReasoning(this.#raw, r, partial) : { reasoning: '', answer: this.#raw };
  }

  /**
   * The part of a partial answer that is surely answer text. With tool
   * calls read, it is trimmed as the final text is (whitespace at the end
   * waits for what follows it).
   */
  #visible(answer: string): string {
    const { format, toolNames } = this.#spec;
    if (!format) return answer;
    if (format.visible) return toolNames ? format.visible(answer).trim() : format.visible(answer);
    if (!toolNames || !this.#opening) return answer;
    return this.#beforeCalls(answer).trim();
  }

  /** The answer text before where a call opens or may be opening. */
  #beforeCalls(answer: string): string {
    const format = this.#spec.format as ToolFormat;
    const found = (this.#opening as RegExp).exec(answer);
    if (found) return answer.slice(0, found.index);
    if (format.atStart) {
      const lead = answer.trimStart();
      if (lead === '' || lead.startsWith('{') || lead.startsWith('<') || format.markers.some((m) => m.startsWith(lead))) return '';
      return answer;
    }
    return answer.slice(0, answer.length - partialSuffix(answer, format.markers));
  }

  #show(text: string, reasoning: string): OutputDelta {
    const delta = { text: extension(this.#shownText, text), reasoning: extension(this.#shownReasoning, reasoning) };
    this.#shownText += delta.text;
    this.#shownReasoning += delta.reasoning;
    return delta;
  }
}
