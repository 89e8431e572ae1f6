#!/usr/bin/env node
// Entry point for `npx sluice`: loads the TypeScript CLI through tsx, so the
// repository runs without a build step on Node 20.6+.
import { register } from 'tsx/esm/api';

// The SDK warns on every command that Node 20 support ends in 2027; sluice supports
// Node 20 on purpose, so say it once in the README instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
