/**
 * The Files port for the extension: Node's atomic writer plus editor awareness. The core refuses
 * a target that an editor holds with unsaved changes (saving it later would overwrite the new
 * secret); a clean open document is fine, VS Code reloads it from disk.
 */
import { realpathSync } from 'node:fs';
import * as vscode from 'vscode';
import { NodeFiles } from '../core/node/files';
import { samePath } from './paths';

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

export class EditorAwareFiles extends NodeFiles {
  constructor(private readonly documents: () => readonly vscode.TextDocument[] = () => vscode.workspace.textDocuments) {
    super();
  }

  /** True when an editor holds unsaved changes of `file`, also when opened through a symbolic link. */
  isDirty(file: string): boolean {
    const dirty = this.documents().filter((d) => d.isDirty && d.uri.scheme === 'file');
    if (dirty.length === 0) return false;
    if (dirty.some((d) => samePath(d.uri.fsPath, file))) return true;
    const target = real(file);
    if (target === undefined) return false;
    return dirty.some((d) => {
      const r = real(d.uri.fsPath);
      return r !== undefined && samePath(r, target);
    });
  }
}
