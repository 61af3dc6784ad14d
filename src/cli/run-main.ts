/**
 * Runs a command-line entry point and turns its outcome into the exit code:
 * the code it returns, or one line on stderr and 1 when it throws. exitCode
 * rather than exit(), so that output piped to another program is not cut short.
 */
export function runMain(main: (args: string[]) => Promise<number>, failurePrefix: string): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${failurePrefix}: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
