import { ConfigError, loadConfig, type Config } from '../config';

/** For entry points: the config, or one line per problem on stderr and exit 1. */
export function readConfigOrExit(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
    process.exit(1);
  }
}
