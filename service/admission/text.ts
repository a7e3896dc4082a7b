/**
 * Text for a person's terminal. Binary paths come from findings (hostile) and names from the object under
 * review: quoted as JSON strings, with control, line-separator and bidirectional characters escaped, so
 * nothing in a denial can move the cursor, recolour `kubectl`'s output or reorder what it shows.
 */
export function quote(text: string, max = 200): string {
  return escapeInvisible(JSON.stringify(cut(text, max)));
}

/** Prose (a decision's reason): the same escapes, without the quotes; a final full stop dropped. */
export function clean(text: string, max = 300): string {
  return escapeInvisible(JSON.stringify(cut(text, max)).slice(1, -1).replace(/\\"/g, '"')).replace(/\.$/, '');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function escapeInvisible(text: string): string {
  return text.replace(
    /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
