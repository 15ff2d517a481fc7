/**
 * Reasoning ("thinking") sections: which markers a template uses, whether
 * its generation prompt leaves the output inside one, and splitting an
 * output into reasoning and answer. @internal
 */

/** A reasoning section's markers. */
export interface ReasoningFormat {
  /** What opens it (`<think>`). */
  open: string;
  /** What closes it (`</think>`). */
  close: string;
  /** Whether the generation prompt already opened it: the output starts inside the reasoning. */
  forcedOpen: boolean;
}

/** The known markers, by what the template text shows. */
const MARKERS: ReadonlyArray<{ test: (source: string) => boolean; open: string; close: string }> = [
  // gpt-oss: the analysis channel (the first message's <|start|>assistant is in the prompt)
  { test: (s) => s.includes('<|channel|>') && s.includes('analysis'), open: '<|channel|>analysis<|message|>', close: '<|end|>' },
  // Command R7B
  { test: (s) => s.includes('<|START_THINKING|>'), open: '<|START_THINKING|>', close: '<|END_THINKING|>' },
  // DeepSeek R1 / V3.1, Qwen3, QwQ, SmolLM3, GLM, ... (and R1 distills, whose templates only strip it)
  { test: (s) => s.includes('<think>') || s.includes('</think>'), open: '<think>', close: '</think>' },
];

/**
 * The reasoning markers of a template (undefined when it shows none), and
 * whether `prompt` (the rendered generation prompt) ends inside an opened
 * section.
 */
export function reasoningFormat(source: string, prompt: string): ReasoningFormat | undefined {
  const found = MARKERS.find((m) => m.test(source));
  if (!found) return undefined;
  const tail = prompt.trimEnd();
  return { open: found.open, close: found.close, forcedOpen: tail.endsWith(found.open) };
}

/** An output split into reasoning and answer. `answer` is undefined while (partial) the reasoning is still open. */
export interface ReasoningSplit {
  reasoning: string;
  answer: string | undefined;
}

/** How much of the end of `text` could be the start of `marker` (to hold back while streaming). */
export function partialSuffix(text: string, markers: readonly string[]): number {
  let best = 0;
  for (const marker of markers) {
    for (let k = Math.min(marker.length - 1, text.length); k > best; k--) {
      if (text.endsWith(marker.slice(0, k))) {
        best = k;
        break;
      }
    }
  }
  return best;
}

/**
 * Splits `text` (the whole output, or with `partial` the output so far) at
 * the reasoning markers: a section that opens the output (or that the
 * prompt opened) is reasoning; the rest is the answer. Both are trimmed at
 * the start; with `partial`, the reasoning holds back whitespace and a
 * possible closing marker at its end, and the answer is undefined until the
 * section closes. An output that never closes the section is all reasoning.
 */
export function splitReasoning(text: string, format: ReasoningFormat, partial: boolean): ReasoningSplit {
  let start: number;
  if (format.forcedOpen) start = 0;
  else {
    const lead = text.length - text.trimStart().length;
    if (text.startsWith(format.open, lead)) start = lead + format.open.length;
    else if (partial && format.open.startsWith(text.slice(lead))) return { reasoning: '', answer: undefined };
    else return { reasoning: '', answer: text };
  }
  const close = text.indexOf(format.close, start);
  if (close === -1) {
    let reasoning = text.slice(start).trimStart();
    if (partial) {
      reasoning = reasoning.slice(0, reasoning.length - partialSuffix(reasoning, [format.close])).trimEnd();
      return { reasoning, answer: undefined };
    }
    return { reasoning: reasoning.trimEnd(), answer: '' };
  }
  return { reasoning: text.slice(start, close).trim(), answer: text.slice(close + format.close.length).trimStart() };
}
