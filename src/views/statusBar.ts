/** Status-bar reminder "$(key) 2 due" (click: rotate the due tokens) and the view badge. */
import * as vscode from 'vscode';
import { COMMANDS } from '../constants';
import { plural } from '../core/l10n';
import { plain } from '../core/text';
import { dueCounts, reminderText, type RetirementInfo, type TreeNode } from './model';
import { retirementNote } from './credentialNodes';

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

/**
 * "$(history) 2 retiring": previous credentials that still work and are deleted when their overlap
 * ends (replace, OAuth clients, the admin credential). Warns when one failed. Click: Retire Previous Token Now….
 */
export class RetirementStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('cfRotate.retirements', vscode.StatusBarAlignment.Left, 9);
    this.item.name = vscode.l10n.t('Cloudflare Rotate: pending retirements');
    this.item.command = { command: COMMANDS.retirePrevious, title: vscode.l10n.t('Retire Previous Token Now…') };
  }

  update(pending: readonly RetirementInfo[], now = Date.now()): number {
    if (pending.length === 0) {
      this.item.hide();
      return 0;
    }
    const failed = pending.filter((r) => r.lastError !== undefined).length;
    this.item.text = `$(history) ${vscode.l10n.t('{0} retiring', pending.length)}`;
    const lines = pending.slice(0, 10).map((r) => `${r.admin ? vscode.l10n.t('admin credential "{0}"', r.profile) : r.name}: ${retirementNote(r, now)}`);
    const head = plural(
      pending.length,
      vscode.l10n.t('Cloudflare Rotate: {0} previous credential still working, deleted when the overlap ends', pending.length),
      vscode.l10n.t('Cloudflare Rotate: {0} previous credentials still working, deleted when the overlap ends', pending.length),
    );
    const more = pending.length > 10 ? `\n${vscode.l10n.t('…and {0} more', pending.length - 10)}` : '';
    this.item.tooltip = `${head}\n${lines.join('\n')}${more}\n${vscode.l10n.t('Click to delete one now.')}`;
    this.item.backgroundColor = failed > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = {
      label: failed
        ? plural(
            pending.length,
            vscode.l10n.t('{0} previous Cloudflare credential pending retirement, {1} failed', pending.length, failed),
            vscode.l10n.t('{0} previous Cloudflare credentials pending retirement, {1} failed', pending.length, failed),
          )
        : plural(pending.length, vscode.l10n.t('{0} previous Cloudflare credential pending retirement', pending.length), vscode.l10n.t('{0} previous Cloudflare credentials pending retirement', pending.length)),
    };
    this.item.show();
    return pending.length;
  }

  dispose(): void {
    this.item.dispose();
  }
}
