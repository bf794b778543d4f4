/**
 * How deeply a spec nests, measured without recursion: the JSON parsers and the schema validator
 * recurse, so a hostile text like `[[[[...` thousands deep would overflow their stack. A run spec
 * nests a few levels; anything past MAX_SPEC_DEPTH is refused before any of them sees it.
 */
export const MAX_SPEC_DEPTH = 64;

/** The deepest nesting of brackets and braces in JSON text, strings skipped (unbalanced text counts what it opens). */
export function textNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Whether a parsed value nests deeper than `limit` levels of arrays and objects (stops at the first too deep). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}
