// `npx sluice <command>`: one entry point for the local stack and the tools around
// it. Each command lives in its own module and returns its exit code; a command is
// loaded only when used, so `sluice send` does not pay for the CDK or PGlite.
import { readStackEnv } from '../core/index.ts';
import { UsageError } from './errors.ts';

type Command = (argv: string[], env: ReturnType<typeof readStackEnv>, out: NodeJS.WritableStream) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  dev: { summary: 'start the embedded local stack (what `npm start` runs)', load: async () => (await import('./dev.ts')).runDev },
  send: { summary: 'send NDJSON events from a file or stdin through the producer SDK', load: async () => (await import('./send.ts')).runSend },
  query: { summary: 'rollups of event types: re-bucketed, grouped, filtered, top-N (table, JSON or CSV)', load: async () => (await import('./query.ts')).runQuery },
  quarantine: { summary: 'list poison records, or fix and re-drive them', load: async () => (await import('./quarantine.ts')).runQuarantine },
  replay: { summary: 'rebuild rollups from the raw-event archive (back-fill, repair)', load: async () => (await import('./replay.ts')).runReplay },
  loadtest: { summary: 'drive the running stack at a set rate and check the totals', load: async () => (await import('./loadtest.ts')).runLoadtest },
  plan: { summary: 'size a deployment for a rate from measured per-event costs', load: async () => (await import('./plan.ts')).runPlan },
};

export const USAGE = `Usage: sluice <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`).join('\n')}

Run \`sluice <command> --help\` for a command's options.`;

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`sluice: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const run = await command.load();
    return await run(rest, readStackEnv(), process.stdout);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sluice ${name}: ${err.message}\n\n${err.usage}\n`);
      return 2;
    }
    const message = describeThrown(err);
    const hint = /ECONNREFUSED/.test(message) ? ' (is the local stack running? start it with `npm start`)' : '';
    process.stderr.write(`sluice ${name}: ${message}${hint}\n`);
    return 1;
  }
}

/** What was thrown, readable: some libraries throw objects that are not Errors (and print as [object Object]). */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err !== 'object' || err === null) return String(err);
  try {
    return JSON.stringify(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}
