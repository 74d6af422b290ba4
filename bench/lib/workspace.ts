/** Generated workspaces: a .vscode/cf-rotate.json listing account API tokens and the .env files they go to. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TokenSpec {
  name: string;
  accountId: string;
  tokenId: string;
  /** .env file (relative) and key that receive the token. */
  file: string;
  key: string;
  /** Initial value written into the .env file. */
  value: string;
  rotateEveryDays?: number;
}

export function envKey(i: number): string {
  return `CF_TOKEN_${String(i + 1).padStart(4, '0')}`;
}

/** The JSON text of a cf-rotate.json (pretty-printed, as a person or the extension would write it). */
export function configText(tokens: readonly TokenSpec[]): string {
  return `${JSON.stringify(
    {
      tokens: tokens.map((t) => ({
        name: t.name,
        kind: 'account-api-token',
        accountId: t.accountId,
        tokenId: t.tokenId,
        description: `Deploy token ${t.name} for the ${t.key.toLowerCase()} service`,
        ...(t.rotateEveryDays !== undefined ? { rotateEveryDays: t.rotateEveryDays } : {}),
        targets: [{ file: t.file, key: t.key }],
      })),
    },
    null,
    2,
  )}\n`;
}

/** .env text per file: a comment header, then one assignment per token. */
export function envTexts(tokens: readonly TokenSpec[]): Map<string, string> {
  const byFile = new Map<string, string[]>();
  for (const t of tokens) {
    const lines = byFile.get(t.file) ?? ['# Cloudflare tokens (rotated by cf-rotate)', 'APP_ENV=production', ''];
    lines.push(`${t.key}=${t.value}`);
    byFile.set(t.file, lines);
  }
  return new Map([...byFile].map(([f, lines]) => [f, `${lines.join('\n')}\n`]));
}

/** Writes .vscode/cf-rotate.json (unless `withConfig` is false) and the .env files into `dir` (created fresh). */
export function writeWorkspace(dir: string, tokens: readonly TokenSpec[], opts: { withConfig?: boolean } = {}): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  if (opts.withConfig !== false) fs.writeFileSync(path.join(dir, '.vscode', 'cf-rotate.json'), configText(tokens));
  for (const [file, text] of envTexts(tokens)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
}
