#!/usr/bin/env node
// The privileged port helper (core/privhelper), run from the TypeScript sources; see
// docs/PRIVILEGES.md. Packaged apps ship a bundle instead (build/privhelper/bundle.mjs).
import { register } from 'tsx/esm/api';

register();
await import('../core/privhelper/cli.ts');
