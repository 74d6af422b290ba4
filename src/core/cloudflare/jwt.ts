/** Read the `jti` claim of a JWT (MoQ relay tokens) without verifying it: used to find the old token to delete. */
export function decodeJwtJti(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const jti = typeof payload === 'object' && payload !== null ? (payload as { jti?: unknown }).jti : undefined;
    return typeof jti === 'string' && jti.length > 0 ? jti : undefined;
  } catch {
    return undefined;
  }
}
