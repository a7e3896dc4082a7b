/**
 * The tokens file (`--tokens`, `DRIFTGATE_TOKENS_FILE`):
 *
 *   tokens:
 *     - { name: argo, sha256: <hex sha256 of the token>, scopes: [deployments:check] }
 *
 * The server holds only hashes. A presented token is hashed and compared with every entry in constant time
 * (no early exit), so neither timing nor a leaked file gives a token away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';
import { SCOPES, type Scope } from './contract.js';

export interface TokenEntry {
  name: string;
  sha256: Buffer;
  scopes: ReadonlySet<Scope>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export async function loadTokensFile(file: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the tokens file: ${describeFsError(err)}`, {
      file,
    });
  }
  return parseTokens(text, file);
}

export function parseTokens(text: string, file: string): TokenEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const at = (node: unknown, message: string): InputError => {
    const offset = (node as { range?: [number] } | undefined)?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    return new InputError(message, { file, line, column: col });
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new InputError(e.message.split('\n')[0]!, {
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    });
  }
  const root = doc.contents;
  if (!isMap(root)) throw at(root, 'expected a mapping with `tokens:`');
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown }).value);
    if (key !== 'tokens') throw at(pair.key, `unknown key ${JSON.stringify(key)}: expected tokens`);
  }
  const list = root.get('tokens', true);
  if (!isSeq(list)) throw at(list ?? root, 'tokens must be a list');
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  for (const [i, item] of list.items.entries()) {
    if (!isMap(item)) throw at(item, `tokens[${i}] must be a mapping { name, sha256, scopes }`);
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown }).value);
      if (!['name', 'sha256', 'scopes'].includes(key))
        throw at(pair.key, `tokens[${i}]: unknown key ${JSON.stringify(key)}`);
    }
    const name = item.get('name');
    if (typeof name !== 'string' || !NAME.test(name))
      throw at(item, `tokens[${i}].name must be a short name`);
    if (names.has(name)) throw at(item, `tokens[${i}].name ${name} is used twice`);
    names.add(name);
    // The text as written: an all-digit hash (or one like `12e4…`) would otherwise read as a number.
    const shaNode = item.get('sha256', true) as { source?: unknown; value?: unknown } | undefined;
    const sha = typeof shaNode?.source === 'string' ? shaNode.source : shaNode?.value;
    if (typeof sha !== 'string' || !HEX64.test(sha))
      throw at(
        item.get('sha256', true) ?? item,
        `tokens[${i}].sha256 must be 64 lower-case hex digits (sha256 of the token)`,
      );
    const scopesNode = item.get('scopes', true);
    if (!isSeq(scopesNode) || scopesNode.items.length === 0)
      throw at(scopesNode ?? item, `tokens[${i}].scopes must be a non-empty list`);
    const scopes = new Set<Scope>();
    for (const s of scopesNode.items) {
      const value = (s as { value?: unknown }).value;
      if (typeof value !== 'string' || !SCOPES.includes(value as Scope))
        throw at(s, `tokens[${i}].scopes: expected one of ${SCOPES.join(', ')}`);
      scopes.add(value as Scope);
    }
    entries.push({ name, sha256: Buffer.from(sha, 'hex'), scopes });
  }
  return entries;
}

/** The entry the token is for, or undefined; every entry is compared, whichever matches. */
export function findToken(entries: readonly TokenEntry[], token: string): TokenEntry | undefined {
  const digest = createHash('sha256').update(token, 'utf8').digest();
  let found: TokenEntry | undefined;
  for (const e of entries) {
    if (timingSafeEqual(digest, e.sha256) && found === undefined) found = e;
  }
  return found;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
