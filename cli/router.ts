/**
 * Routes argv to a command (and subcommand) of a command list, prints help, and turns errors
 * into a one-line message on stderr and a non-zero exit code. The full CLI (main.ts) and the
 * board's (device-main.ts) are two lists over this one router.
 */
import { LiquidkanError } from '../shared/errors.js';
import {
  type Command,
  type CommandContext,
  exitCodeFor,
  helpText,
  type LazyCommand,
  parseFlags,
} from './command.js';

const PROGRAM = 'liquidkan';

type Listed = Command | LazyCommand;

function topHelp(commands: readonly Listed[]): string {
  const lines = [
    `${PROGRAM} — adaptive liquid networks that grow their own activation functions`,
    '',
    `usage: ${PROGRAM} <command> [options]   (${PROGRAM} <command> --help for its options)`,
    '',
    'commands:',
  ];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  return lines.join('\n');
}

export async function runCommands(
  commands: readonly Listed[],
  argv: readonly string[],
  io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const write = (s: string) => io.out.write(s.endsWith('\n') ? s : `${s}\n`);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    write(topHelp(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const listed = commands.find((c) => c.name === argv[0]);
  let prefix = PROGRAM;
  let rest = argv.slice(1);
  if (!listed) {
    io.err.write(`${PROGRAM}: unknown command '${argv[0]}'\n\n${topHelp(commands)}\n`);
    return 2;
  }
  let cmd: Command = 'load' in listed ? await listed.load() : listed;
  while (cmd.subcommands?.length) {
    const sub: Command | undefined = cmd.subcommands.find((s) => s.name === rest[0]);
    // a command with both (`worker --store …`, `worker add …`) runs itself when given flags
    if (!sub && cmd.run && rest[0]?.startsWith('--') && rest[0] !== '--help') break;
    if (!sub) {
      if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
        write(helpText(cmd, prefix));
        return rest.length === 0 ? 2 : 0;
      }
      io.err.write(`${prefix} ${cmd.name}: unknown subcommand '${rest[0]}'\n\n${helpText(cmd, prefix)}\n`);
      return 2;
    }
    prefix = `${prefix} ${cmd.name}`;
    cmd = sub;
    rest = rest.slice(1);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    write(helpText(cmd, prefix));
    return 0;
  }
  try {
    const { flags, positionals } = parseFlags(cmd, rest);
    const json = flags['json'] === true;
    const ctx: CommandContext = {
      flags,
      positionals,
      json,
      info: (line) => {
        if (!json) write(line);
      },
      stdout: write,
    };
    await cmd.run!(ctx);
    return 0;
  } catch (err) {
    const msg = err instanceof LiquidkanError ? err.message : ((err as Error)?.stack ?? String(err));
    io.err.write(`${prefix} ${cmd.name}: ${msg}\n`);
    return exitCodeFor(err);
  }
}
