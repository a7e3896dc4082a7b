/** The `--format` names of `gate`, apart from the formatters, so that flag parsing loads none of them. */
export type FormatName = 'table' | 'json' | 'markdown' | 'sarif' | 'junit';
export const FORMAT_NAMES: readonly FormatName[] = ['table', 'json', 'markdown', 'sarif', 'junit'];
