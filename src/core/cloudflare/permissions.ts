/**
 * Which Cloudflare permission each `CloudflareApi` method needs, and the names of the
 * operations the client performs (one per route; the test simulator records the same names).
 */
import type { CloudflareApi } from './types';

/**
 * The permission (Cloudflare permission-group name) each operation needs, as shown in the
 * dashboard's API-token editor. `undefined`: no permission needed.
 * MoQ: the OpenAPI document declares no `x-api-token-group`; the MoQ docs name the
 * account-scoped group "MoQ Write" (dashboard: Account › MoQ › Edit) and "MoQ Read".
 */
export const REQUIRED_PERMISSIONS = {
  verifyCredential: undefined,
  verifyToken: undefined,
  rollUserToken: 'API Tokens Write',
  rollAccountToken: 'Account API Tokens Write',
  listUserTokens: 'API Tokens Read',
  getUserToken: 'API Tokens Read',
  listAccountTokens: 'Account API Tokens Read',
  getAccountToken: 'Account API Tokens Read',
  listServiceTokens: 'Access: Service Tokens Read',
  getServiceToken: 'Access: Service Tokens Read',
  rotateServiceToken: 'Access: Service Tokens Write',
  bumpServiceTokenVersion: 'Access: Service Tokens Write',
  setPreviousSecretExpiry: 'Access: Service Tokens Write',
  listMoqRelays: 'MoQ Read',
  getMoqRelay: 'MoQ Read',
  createMoqToken: 'MoQ Write',
  listMoqTokens: 'MoQ Read',
  deleteMoqToken: 'MoQ Write',
  // Destinations. The reads are the preflight of a write, so they name the Write permission: a
  // credential with Read only would pass the check and fail the write after the rotation.
  listWorkerSecrets: 'Workers Scripts Write',
  putWorkerSecret: 'Workers Scripts Write',
  getPagesProject: 'Pages Write',
  setPagesSecret: 'Pages Write',
  getStoreSecret: 'Secrets Store Write',
  setStoreSecret: 'Secrets Store Write',
  listAccounts: 'Account Settings Read',
  listZones: 'Zone Read',
} as const satisfies Record<keyof CloudflareApi, string | undefined>;

/** Operation names (the same names the test simulator records). */
export type OperationName =
  | 'verifyUserToken'
  | 'verifyAccountToken'
  | 'getUser'
  | 'rollUserToken'
  | 'rollAccountToken'
  | 'listUserTokens'
  | 'getUserToken'
  | 'listAccountTokens'
  | 'getAccountToken'
  | 'listServiceTokens'
  | 'getServiceToken'
  | 'rotateServiceToken'
  | 'updateServiceToken'
  | 'listMoqRelays'
  | 'getMoqRelay'
  | 'createMoqToken'
  | 'listMoqTokens'
  | 'deleteMoqToken'
  | 'listWorkerSecrets'
  | 'putWorkerSecret'
  | 'getPagesProject'
  | 'editPagesProject'
  | 'getStoreSecret'
  | 'editStoreSecret'
  | 'listAccounts'
  | 'listZones';
