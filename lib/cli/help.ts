/** Help text of a command, from its flag table. */
import type { Flag } from './flags';

/** What a command's help shows besides its flags. */
export interface CommandHelp {
  /** e.g. `llama-generate run <model.gguf> [prompt] [flags]` */
  usage: string;
  /** A paragraph or two. */
  description: string;
  /** Lines of examples. */
  examples?: string[];
}

const WIDTH = 34;

function left(flag: Flag): string {
  const short = flag.short ? `-${flag.short}, ` : '    ';
  const value = flag.type === 'boolean' ? (flag.value ? ` [${flag.value}]` : '') : ` <${flag.value ?? 'value'}>`;
  return `  ${short}--${flag.name}${value}`;
}

/** Renders the help: usage, description, then the flags by group with their defaults. */
export function renderHelp(help: CommandHelp, flags: readonly Flag[]): string {
  const lines = [`Usage: ${help.usage}`, '', help.description, ''];
  const groups = new Map<string, Flag[]>();
  for (const flag of flags) {
    const group = flag.group ?? 'Options';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(flag);
  }
  for (const [group, members] of groups) {
    lines.push(`${group}:`);
    for (const flag of members) {
      const l = left(flag);
      const fallback = flag.type === 'boolean' && flag.name !== 'help' ? 'false' : undefined; // a boolean flag not given is off
      const shown = flag.defaultText ?? fallback;
      const text = flag.help + (shown !== undefined ? ` (default: ${shown})` : '');
      lines.push(l.length < WIDTH ? l.padEnd(WIDTH) + text : `${l}\n${' '.repeat(WIDTH)}${text}`);
    }
    lines.push('');
  }
  if (help.examples?.length) lines.push('Examples:', ...help.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}
