/** The driver of each kind of credential. */
import type { TokenConfig, TokenKind } from '../../config/schema';
import { accountApiToken, userApiToken } from './apiToken';
import type { KindDriver } from './driver';
import { moqRelayToken } from './moq';
import { oauthClientSecret } from './oauthClient';
import { accessServiceToken } from './serviceToken';
import { turnstileSecret } from './turnstile';

const DRIVERS: Record<TokenKind, KindDriver> = {
  'account-api-token': accountApiToken,
  'user-api-token': userApiToken,
  'access-service-token': accessServiceToken as KindDriver,
  'moq-relay-token': moqRelayToken as KindDriver,
  'turnstile-secret': turnstileSecret as KindDriver,
  'oauth-client-secret': oauthClientSecret as KindDriver,
};

export function driverFor(kind: TokenKind): KindDriver {
  return DRIVERS[kind];
}

/** Machine-wide identity of a credential (journal and lock key, history `resource`). */
export function resourceId(t: TokenConfig): string {
  return DRIVERS[t.kind].resourceId(t);
}

export type { DriverContext, KindDriver, ProbeAnswer } from './driver';
