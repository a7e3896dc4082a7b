/** The `driftgate` command line. Thin: parses flags, calls the engine and integrations, maps errors to exit codes. */
export async function main(argv: string[]): Promise<number> {
  void argv;
  process.stderr.write('driftgate: not built yet\n');
  return 2;
}
