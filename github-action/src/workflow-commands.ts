/**
 * Workflow commands (`::error file=…,line=…::message`) as the runner parses them from a step's output.
 * The runner decodes `%25`, `%0D`, `%0A` in the message, and in property values also `%3A` and `%2C`; an
 * unescaped newline would end the command and let the rest of the text be read as a command of its own,
 * an unescaped `:` or `,` in a property would end the property. Everything that came from a finding or a
 * policy passes through here, after `inert()` has made its control characters visible.
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type CommandName = 'error' | 'warning' | 'notice';

export function workflowCommand(
  name: CommandName,
  properties: Readonly<Record<string, string | number | undefined>>,
  message: string,
): string {
  const props = Object.entries(properties)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}
