/** What a failed run leaves behind for debugging: the browser console and where the VS Code logs are. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Workbench } from './browser';
import type { CodeServer } from './codeServer';
import { log, resultsDir } from './util';

export function saveFailureDiagnostics(name: string, wb: Workbench | undefined, server: CodeServer | undefined): void {
  if (wb) {
    const consoleFile = resultsDir(`${name}-browser-console.log`);
    fs.mkdirSync(path.dirname(consoleFile), { recursive: true });
    fs.writeFileSync(consoleFile, wb.console.join('\n') + '\n');
    log(`browser console: ${consoleFile}`);
  }
  if (server) log(`code-server log: ${server.logFile}; VS Code logs: ${path.join(server.userDataDir, 'logs')}`);
}
