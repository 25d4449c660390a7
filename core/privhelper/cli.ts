/** The helper's process entry: bin/dragonfly-privhelper.mjs (sources) and the packaged bundle both start here. */
import { runHelper } from './main.ts';

process.noDeprecation = true; // sockopt reads socket._handle (DEP0112): nothing a user can act on
process.exitCode = await runHelper(process.argv.slice(2));
