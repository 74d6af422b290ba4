/** How paths compare on this machine's file systems. No vscode import, no I/O. */

/** File systems that are case-insensitive by default (Windows, macOS). */
export function caseInsensitive(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

const folds = caseInsensitive();

/** A path (or part of one) as this machine's file systems compare it: lower-cased where they ignore case. */
export function foldPathCase(s: string): string {
  return folds ? s.toLowerCase() : s;
}
