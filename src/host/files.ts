/**
 * The Files port for the extension: Node's atomic writer plus editor awareness. The core refuses
 * a target that an editor holds with unsaved changes (saving it later would overwrite the new
 * secret); a clean open document is fine, VS Code reloads it from disk.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NodeFiles } from '../core/node/files';
import { samePath } from './paths';

/** The real path of `p`; for a file that does not exist yet, its real folder joined with its name. */
function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return undefined;
    }
  }
}

/**
 * The file a document writes when saved: a `file:` document's path, and also the path of any
 * other document that has an absolute one. `code .env.local` for a file that does not exist
 * opens an `untitled:` document with that path, and saving it writes the file without asking.
 * (An untitled document without a path, "Untitled-1", writes nothing until Save As.)
 */
function savesTo(doc: vscode.TextDocument): string | undefined {
  if (doc.uri.scheme === 'file') return doc.uri.fsPath;
  return doc.uri.path.startsWith('/') ? doc.uri.fsPath : undefined;
}

/** Documents with unsaved changes that save to `file`, also when either is reached through a link. */
export function dirtyDocumentsOf(documents: readonly vscode.TextDocument[], file: string): vscode.TextDocument[] {
  const dirty = documents.flatMap((d) => {
    const at = d.isDirty ? savesTo(d) : undefined;
    return at === undefined ? [] : [{ d, at }];
  });
  if (dirty.length === 0) return [];
  const target = real(file);
  const same = (at: string): boolean => {
    if (samePath(at, file)) return true;
    if (target === undefined) return false;
    const r = real(at);
    return r !== undefined && samePath(r, target);
  };
  return dirty.filter(({ at }) => same(at)).map(({ d }) => d);
}

export class EditorAwareFiles extends NodeFiles {
  constructor(private readonly documents: () => readonly vscode.TextDocument[] = () => vscode.workspace.textDocuments) {
    super();
  }

  /** True when an editor holds unsaved changes of `file` (also an untitled editor with its path, also through a link). */
  isDirty(file: string): boolean {
    return dirtyDocumentsOf(this.documents(), file).length > 0;
  }
}
