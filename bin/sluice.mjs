#!/usr/bin/env node
// Entry point for `npx sluice`: loads the TypeScript CLI through tsx, so the
// repository runs without a build step on Node 20.6+.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
