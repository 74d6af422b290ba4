/** Path comparison for editor documents vs. engine paths. No vscode import: unit-tested. */
import * as path from 'node:path';
import { caseInsensitive } from '../core/pathCase';

export { caseInsensitive };

export function normalisePath(p: string, platform: NodeJS.Platform = process.platform): string {
  const impl = platform === 'win32' ? path.win32 : path.posix;
  let n = impl.normalize(impl.resolve(p));
  if (n.length > 1 && (n.endsWith('/') || n.endsWith('\\')) && !/^[A-Za-z]:[\\/]$/.test(n)) n = n.slice(0, -1);
  return caseInsensitive(platform) ? n.toLowerCase() : n;
}

export function samePath(a: string, b: string, platform: NodeJS.Platform = process.platform): boolean {
  return normalisePath(a, platform) === normalisePath(b, platform);
}
