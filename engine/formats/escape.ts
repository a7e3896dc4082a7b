/**
 * Escaping for every output format. Paths, reasons, workload names and finding ids were written by
 * whoever ran the binary (model.md), so each formatter passes every such string through one of these
 * before it reaches a terminal, a Markdown renderer, an XML parser or a SARIF viewer.
 *
 * The first step is always `inert()`: characters that act instead of being seen (terminal escapes,
 * carriage returns that overwrite a line, bidi overrides that reorder it, zero-width characters that hide
 * text) become visible `\xHH` / `\u{HHHH}` text. Showing them, rather than deleting them, keeps the
 * evidence: `/tmp/\x1b[31mx` is what the detector reported, and it reads as such. A backslash the finding
 * itself contains is doubled, so the escapes stay unambiguous: a newline reads `\n`, a literal backslash
 * followed by `n` reads `\\n`, and no two different strings look alike.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * Characters that must not reach an output as themselves:
 * - C0 controls, DEL and C1 controls (ESC starts ANSI/OSC sequences; CSI is also U+009B; CR rewrites lines);
 * - line/paragraph separators (U+2028/2029) and NEL (C1), which some viewers treat as newlines;
 * - bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) and marks (U+200E/200F, U+061C);
 * - zero-width and invisible characters (U+200B–200D, U+2060–2064, U+FEFF, U+180E, U+00AD soft hyphen);
 * - lone surrogates, which are not characters at all and break UTF-8 encoders and XML;
 * - and the backslash itself, which is doubled (see above).
 */
const ACTIVE =
  /[\\\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Makes a hostile string inert: every active or invisible character becomes visible escape text and every
 * backslash is doubled. Not idempotent, on purpose: it is an encoding, and decoding it gives back the input.
 */
export function inert(s: string): string {
  return s.replace(ACTIVE, visible);
}

/**
 * Shortens to at most `max` code points, keeping both ends (a path's directory and its file name are
 * both telling) and marking the cut with `...`. Operates on code points so a surrogate pair is never split.
 */
export function truncateMiddle(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  if (max <= 3) return chars.slice(0, max).join('');
  const keep = max - 3;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}...${chars.slice(chars.length - (keep - head)).join('')}`;
}

/** Shortens to at most `max` code points, cutting at the end (for prose such as reasons). */
export function truncateEnd(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return `${chars.slice(0, Math.max(0, max - 3)).join('')}...`;
}

/** Display width in code points (no East Asian width table: good enough to keep columns sane). */
export function widthOf(s: string): number {
  return Array.from(s).length;
}

// ---------------------------------------------------------------------------------------------------
// Markdown (GitHub Flavored Markdown as rendered in job summaries, PR comments and issues)

/**
 * The characters that are Markdown-active anywhere in a line (GFM as GitHub renders it): backslash escapes,
 * code spans, emphasis, links and images, raw HTML and autolinks, entities, table pipes, strikethrough and
 * math. `_` is left alone between two letters or digits, where it can neither open nor close emphasis
 * (`x86_64`); `!` only starts an image before `[`, which is escaped anyway.
 */
const MARKDOWN_ACTIVE = /[\\`*[\]<>|&~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g;
/** Active only at the start of a line: headings, block quotes (escaped above), list items, setext underlines. */
const LINE_START_ACTIVE = /^(?:[-+=]|(\d{1,9})([.)]))/;

/**
 * Plain text for Markdown: renders as exactly the (inert) characters given, in a paragraph, list item or
 * table cell, with only the characters that could act escaped, so a reviewer reading the raw Markdown reads
 * `The image's /usr/bin/tail`, not `The image\'s \/usr\/bin\/tail`.
 * - Markdown-active characters (MARKDOWN_ACTIVE) are backslash-escaped: no emphasis, link, image, HTML tag,
 *   entity, code span, table pipe, strikethrough or math can start. At the start of the string, a list
 *   marker, ordered-list number or setext underline is escaped too (the string may begin a line).
 * - GFM's autolinks: `www.` and `scheme://` become `www\.` and `scheme\://` (its scanners read the raw
 *   text, so an escaped dot or colon is no link).
 * - GitHub turns `@name` into a mention (it pings) and `#123` / `owner/repo#123` into cross-references
 *   after rendering, on the text itself. A zero-width space after each `@` and `#` breaks both (and e-mail
 *   autolinks, and ATX headings) while reading the same.
 * The string is inert first, so it holds no newline: it cannot end the line it is placed in.
 */
export function markdownText(s: string): string {
  return inert(s)
    .replace(MARKDOWN_ACTIVE, (ch) => `\\${ch}`)
    .replace(/(www)\./gi, '$1\\.')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/[@#]/g, '$&&#8203;')
    .replace(LINE_START_ACTIVE, (m, digits?: string, mark?: string) =>
      digits === undefined ? `\\${m}` : `${digits}\\${mark}`,
    );
}

/**
 * A code span that cannot be broken out of: the fence is one backtick longer than the longest run of
 * backticks inside, and the content is padded with one space on each side (CommonMark strips exactly
 * one from each side, so content that starts or ends with a backtick or space survives). Inside a code
 * span nothing is interpreted (no mentions, links or HTML). In a table cell a `|` would still end the
 * cell, so `inTable` escapes it as `\|`, which GFM turns back into `|` inside the span. An empty string
 * gives an empty string (an empty code span cannot be written).
 */
export function markdownCode(s: string, opts: { inTable?: boolean } = {}): string {
  let content = inert(s);
  if (opts.inTable) content = content.replace(/\|/g, '\\|');
  let longest = 0;
  for (const run of content.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  if (content === '') return '';
  const fence = '`'.repeat(longest + 1);
  // All-space content is not stripped by CommonMark, so it must not be padded either.
  return content.trim() === '' ? `${fence}${content}${fence}` : `${fence} ${content} ${fence}`;
}

// ---------------------------------------------------------------------------------------------------
// XML 1.0 (JUnit)

/** Characters XML 1.0 does not allow anywhere, not even as character references. */
const XML_FORBIDDEN =
  /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\ud800-\udbff\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Removes what XML 1.0 forbids (after `inert`, only U+FFFE/U+FFFF can remain), so a parser never rejects the file. */
export function stripXmlForbidden(s: string): string {
  return s.replace(XML_FORBIDDEN, '');
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Text for XML element content or a quoted attribute value. All five special characters are escaped in
 * both places: `>` so that `]]>` can never appear, quotes so the same function is safe in attributes.
 * Newlines and tabs from a finding are already visible text (inert), so attribute-value normalization
 * cannot change what a reader sees.
 */
export function xmlEscape(s: string): string {
  return xmlEscapeInert(inert(s));
}

/** `xmlEscape` for text already made inert (inert is an encoding: applied twice it doubles backslashes). */
function xmlEscapeInert(s: string): string {
  return stripXmlForbidden(s).replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]!);
}

/**
 * Multi-line element content written by us, whose values are already inert (so its only newlines are
 * ours): each line is XML-escaped, the newlines kept.
 */
export function xmlEscapeMultiline(s: string): string {
  return s
    .split('\n')
    .map((line) => xmlEscapeInert(line))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------
// SARIF message text

/**
 * Plain text for a SARIF `message.text`. SARIF (3.11.6) gives `[text](target)` in message text the
 * meaning of an embedded link, which viewers such as GitHub code scanning render; literal brackets are
 * written `\[` and `\]`, so `[x](javascript:...)` from a finding stays text. A backslash is only an escape
 * before a bracket, so other backslashes (such as the ones `inert` writes) are left as they are.
 */
export function sarifText(s: string): string {
  return inert(s).replace(/[[\]]/g, (ch) => `\\${ch}`);
}
