#!/usr/bin/env node
// The privileged port helper (core/privhelper/main.ts), run from the TypeScript sources.
// Packaged apps ship a bundled copy instead (build/privhelper/bundle.mjs).
import { register } from 'tsx/esm/api';

process.noDeprecation = true; // sockopt reads socket._handle (DEP0112); nothing to act on
register();
const { runHelper } = await import('../core/privhelper/main.ts');
process.exitCode = await runHelper(process.argv.slice(2));
