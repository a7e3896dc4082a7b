/**
 * dpkg's control-file syntax (deb822), as found in `/var/lib/dpkg/status` and distroless's
 * `status.d/<pkg>`: stanzas separated by blank lines, `Field: value` lines, continuation lines that
 * start with a space or tab. Parsed line by line with plain string operations (no RegExp over image
 * text), bounded in stanzas and fields.
 */
import { InputError } from '../errors.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { linesOf } from './text.js';

export interface DpkgStanza {
  /** 1-based line of the stanza's first field, for messages. */
  line: number;
  /**
   * Field name in lower case (dpkg compares field names case-insensitively) → value. A Map, so a field
   * called `__proto__` or `constructor` is just another key. The value is the first line's text trimmed,
   * then `\n` + each continuation line without its leading space/tab and trailing blanks (so
   * Description's ` .` paragraph marks come back as `.`).
   */
  fields: Map<string, string>;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** deb822 field names: printable US-ASCII except `:`, not starting with `#` or `-`. */
export function isFieldName(name: string): boolean {
  if (name.length === 0 || name[0] === '#' || name[0] === '-') return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3a) return false;
  }
  return true;
}

function trimBlanks(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(start, end);
}

/** Parses every stanza of a dpkg status (or control) file. `file` names it in errors. */
export function parseDpkgStatus(text: string, file = '/var/lib/dpkg/status'): DpkgStanza[] {
  const stanzas: DpkgStanza[] = [];
  let current: DpkgStanza | undefined;
  let lastField: string | undefined;

  for (const { text: line, number } of linesOf(text)) {
    if (isBlank(line)) {
      current = undefined;
      lastField = undefined;
      continue;
    }
    const first = line[0];
    if (first === ' ' || first === '\t') {
      if (current === undefined || lastField === undefined) {
        throw new InputError('dpkg database: a continuation line comes before any field', {
          file,
          line: number,
        });
      }
      const previous = current.fields.get(lastField) ?? '';
      current.fields.set(lastField, `${previous}\n${trimBlanks(line.slice(1))}`);
      continue;
    }
    // Comment lines are allowed in control files (deb822); they never carry data.
    if (first === '#') continue;

    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!isFieldName(name)) {
      throw new InputError('dpkg database: line is neither "Field: value", a continuation, nor blank', {
        file,
        line: number,
      });
    }
    if (current === undefined) {
      if (stanzas.length >= PACKAGE_DB_LIMITS.maxPackages) {
        throw new InputError(`dpkg database: more than ${PACKAGE_DB_LIMITS.maxPackages} stanzas`, {
          file,
          line: number,
        });
      }
      current = { line: number, fields: new Map() };
      stanzas.push(current);
    }
    const key = name.toLowerCase();
    if (current.fields.has(key)) {
      throw new InputError(`dpkg database: field ${name} appears twice in one stanza`, {
        file,
        line: number,
      });
    }
    if (current.fields.size >= PACKAGE_DB_LIMITS.maxFieldsPerStanza) {
      throw new InputError(
        `dpkg database: more than ${PACKAGE_DB_LIMITS.maxFieldsPerStanza} fields in a stanza`,
        {
          file,
          line: number,
        },
      );
    }
    current.fields.set(key, trimBlanks(line.slice(colon + 1)));
    lastField = key;
  }
  return stanzas;
}

/**
 * What a stanza's `Status: <want> <flag> <status>` says about the package's files:
 * - `present`: flag `ok` and status `installed` or `triggers-pending`/`triggers-awaited` (configured but
 *   for triggers) — the files are on disk; `dpkg-query` shows these as `ii`, `hi`, `ri`, `it`, …;
 * - `absent`: anything else (`config-files`, `not-installed`, `half-installed`, `reinstreq` …);
 * - `unstated`: no Status field — distroless's control files in status.d carry none, and mean installed.
 */
export function dpkgFilesState(stanza: DpkgStanza): 'present' | 'absent' | 'unstated' {
  const status = stanza.fields.get('status');
  if (status === undefined) return 'unstated';
  const words = status.split(' ').filter((w) => w !== '');
  if (words.length !== 3 || words[1] !== 'ok') return 'absent';
  const state = words[2];
  return state === 'installed' || state === 'triggers-pending' || state === 'triggers-awaited'
    ? 'present'
    : 'absent';
}
