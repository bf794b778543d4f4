/** JSON pointers (RFC 6901) and where they land in a spec's text, so an editor can underline a problem. */
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { MAX_SPEC_DEPTH, textNestingDepth } from './depth';

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The text range of the value at `pointer` in `text` (for a missing field, its nearest existing
 * parent; for a property name that should not be there, the property's name and value).
 */
export function pointerRange(text: string, pointer: string): { offset: number; length: number } {
  // Text the validator refused as too deep is not parsed here either (the parser recurses).
  const root = textNestingDepth(text) > MAX_SPEC_DEPTH ? undefined : parseTree(text);
  if (!root) return { offset: 0, length: 0 };
  const path = pointerTokens(pointer).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
  for (let n = path.length; n >= 0; n--) {
    let node: Node | undefined = findNodeAtLocation(root, path.slice(0, n));
    if (!node) continue;
    // Underline "key": value rather than the value alone when the node is a property's value.
    if (n > 0 && node.parent?.type === 'property') node = node.parent;
    return { offset: node.offset, length: node.length };
  }
  return { offset: root.offset, length: root.length };
}
