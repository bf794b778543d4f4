/**
 * Who may open a connection: a local process that read the connection file (the token), never a
 * web page (browsers always send Origin on a WebSocket upgrade, so any Origin is refused).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time (hashing first makes the lengths equal, so length leaks nothing either). */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export type UpgradeVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export function checkUpgrade(req: IncomingMessage, token: string): UpgradeVerdict {
  if (req.headers.origin !== undefined) return { ok: false, status: 403, reason: 'requests with an Origin header are refused' };
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header) : null;
  if (!match?.[1]) return { ok: false, status: 401, reason: 'missing bearer token' };
  if (!tokensEqual(match[1], token)) return { ok: false, status: 401, reason: 'wrong token' };
  return { ok: true };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
