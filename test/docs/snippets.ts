// Code blocks of the Markdown docs, and the annotation that tells the docs test
// how to run each one. Pure: text in, blocks out.
//
// An annotation is an HTML comment on the line before the block's fence
// (blank lines between are allowed):
//
//   <!-- snippet: express-app -->
//   <!-- snippet: store-options; bindings: newKey oldKey -->
//   <!-- snippet: skip (why) -->
//
// Without one, a js/ts block runs as a whole program, and every other language
// gets its language's check (see docs.int.test.ts).

export interface CodeBlock {
  /** Path of the Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word, lower case ('' when none). */
  lang: string;
  code: string;
  /** The context named by the annotation, if any. */
  context: string | undefined;
  /** The annotation's text after the context name (arguments, reasons). */
  args: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/;
const ANNOTATION = /^\s*<!--\s*snippet:\s*([\w-]+)\s*(.*?)\s*-->\s*$/;

export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '```', lang = ''] = open;
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[end] ?? '')) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
    const note = ANNOTATION.exec(lines[before] ?? '');
    blocks.push({
      file,
      line: i + 1,
      lang: lang.toLowerCase(),
      code: `${body.join('\n')}\n`,
      context: note?.[1],
      args: note?.[2] ?? '',
    });
    i = end;
  }
  return blocks;
}

/** Whether `code` declares `name` itself (so a context must not declare it again). */
export function declares(code: string, name: string): boolean {
  const n = name.replace(/[$]/g, '\\$');
  return (
    new RegExp(`\\b(const|let|var|function|class)\\s+${n}\\b`).test(code) ||
    new RegExp(`\\b(const|let|var)\\s*\\{[^}]*\\b${n}\\b[^}]*\\}\\s*=`).test(code) ||
    new RegExp(`^\\s*import\\b[^;]*\\b${n}\\b[^;]*\\bfrom\\b`, 'm').test(code)
  );
}

/** Whether the code is an ES module (import/export statements or top-level await). */
export function isModule(code: string): boolean {
  return /^\s*(import|export)\s/m.test(code) || /^await\s/m.test(code);
}

/**
 * The commands a shell block runs: one per line, with continuations joined,
 * comments, environment assignments and `&&` / `|` / `;` chains split out.
 */
export function shellCommands(code: string): string[] {
  const joined = code.replace(/\\\n/g, ' ');
  const commands: string[] = [];
  for (const rawLine of joined.split('\n')) {
    const line = rawLine.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    for (const part of line.split(/&&|\|\||\||;/)) {
      const words = part.trim().split(/\s+/);
      while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) words.shift();
      if (words.length > 0 && words[0] !== '') commands.push(words.join(' '));
    }
  }
  return commands;
}
