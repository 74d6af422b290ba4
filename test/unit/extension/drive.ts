/** Driving the extension under the fake `vscode` module: run a registered command, let queued work settle. */
import { fake } from './fakeVscode';

/** Runs a command the extension registered, as the command palette or a script would (one JSON argument or none). */
export async function run<T>(id: string, arg?: unknown): Promise<T> {
  const fn = fake.commands.get(id);
  if (!fn) throw new Error(`command ${id} not registered`);
  return (await fn(...(arg === undefined ? [] : [arg]))) as T;
}

/** A few turns of the event loop: lets fire-and-forget work (tree refreshes, context keys) finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
