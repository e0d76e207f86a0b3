/**
 * What shell completion offers, read from the yargs command definitions themselves (each
 * command's builder run on a fresh yargs), so a new flag is completed without a second list
 * to keep.
 */
import yargs from 'yargs';
import type { CommandContext, CommandModule } from './context.js';
import { EXIT } from './exit-codes.js';

export interface CompletionCommand {
  name: string;
  description: string;
  /** Every flag, as typed: --filter, -f, --no-bridge. */
  flags: string[];
  /** The flags that take a value (the next word is theirs, not a target). */
  valueFlags: string[];
  /** Flags whose value is a target (verify --to). */
  targetFlags: string[];
  /** Whether its positional arguments are targets (trace, resolve, verify). */
  takesTargets: boolean;
}

export interface CompletionSpec {
  commands: CompletionCommand[];
  /** Flags before any command. */
  globalFlags: string[];
}

/** Positionals whose values are targets, and flags that take one. */
const TARGET_POSITIONALS = new Set(['target', 'source']);
const TARGET_FLAGS = new Set(['to']);
const GLOBAL_FLAGS = ['--help', '-h', '--version'];

/** The parts of yargs' instance read here: public methods its typings leave out (yargs is pinned in package.json). */
interface Introspectable {
  getInternalMethods(): { getCommandInstance(): { getCommandHandlers(): Record<string, Handler> } };
  getOptions(): { key: Record<string, unknown>; boolean: string[]; alias: Record<string, string[]>; hiddenOptions: string[]; default: Record<string, unknown> };
}

interface Handler {
  original: string;
  description: string | false;
  builder: unknown;
}

const flag = (key: string): string => (key.length === 1 ? `-${key}` : `--${key}`);

export function completionSpec(modules: readonly CommandModule[]): CompletionSpec {
  const ctx: CommandContext = { exitCode: EXIT.OK, parseOnly: true };
  let cli = yargs([]);
  for (const m of modules) cli = m(cli, ctx);
  const handlers = (cli as unknown as Introspectable).getInternalMethods().getCommandInstance().getCommandHandlers();
  const commands: CompletionCommand[] = [];
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler.description === false) continue;
    const sub = yargs([]);
    if (typeof handler.builder === 'function') (handler.builder as (y: typeof sub) => unknown)(sub);
    const options = (sub as unknown as Introspectable).getOptions();
    const positionals = new Set([...handler.original.matchAll(/[<[]([\w-]+)(?:\.\.\.)?[>\]]/g)].map((m) => m[1]!));
    const hidden = new Set(options.hiddenOptions);
    const aliases = options.alias;
    const isAlias = new Set(Object.values(aliases).flat());
    const flags: string[] = [];
    const valueFlags: string[] = [];
    const targetFlags: string[] = [];
    for (const key of Object.keys(options.key)) {
      if (positionals.has(key) || hidden.has(key) || isAlias.has(key) || key === 'help' || key === 'version' || /[A-Z]/.test(key)) continue;
      const names = [key, ...(aliases[key] ?? [])].map(flag);
      const isBoolean = options.boolean.includes(key);
      flags.push(...names);
      if (isBoolean && options.default[key] === true) flags.push(`--no-${key}`);
      if (!isBoolean) valueFlags.push(...names);
      if (TARGET_FLAGS.has(key)) targetFlags.push(...names);
    }
    commands.push({ name, description: handler.description, flags: [...flags, '--help'], valueFlags, targetFlags, takesTargets: [...positionals].some((p) => TARGET_POSITIONALS.has(p)) });
  }
  return { commands, globalFlags: GLOBAL_FLAGS };
}
