/** Status-bar reminder "$(key) 2 due" (click: rotate the due tokens) and the view badge. */
import * as vscode from 'vscode';
import { COMMANDS } from '../constants';
import { plain } from '../core/text';
import { dueCounts, reminderText, type TreeNode } from './model';

export class ReminderStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(private readonly view?: vscode.TreeView<TreeNode>) {
    this.item = vscode.window.createStatusBarItem('cfRotate.reminder', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Cloudflare Rotate: due tokens';
    this.item.command = { command: COMMANDS.rotateDue, title: vscode.l10n.t('Rotate Due Tokens') };
  }

  update(roots: readonly TreeNode[]): { overdue: number; dueSoon: number } {
    const r = reminderText(roots);
    if (!r) {
      this.item.hide();
      if (this.view) this.view.badge = undefined;
      return { overdue: 0, dueSoon: 0 };
    }
    this.item.text = r.text;
    // A plain-string tooltip (not Markdown); names still pass `plain` (no control or bidi characters).
    this.item.tooltip = plain(r.tooltip, { newlines: true });
    this.item.backgroundColor = r.overdue > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: vscode.l10n.t('Cloudflare tokens: {0}', dueCounts(r.overdue, r.dueSoon)) };
    this.item.show();
    if (this.view) this.view.badge = { value: r.overdue + r.dueSoon, tooltip: dueCounts(r.overdue, r.dueSoon) };
    return { overdue: r.overdue, dueSoon: r.dueSoon };
  }

  dispose(): void {
    this.item.dispose();
  }
}
