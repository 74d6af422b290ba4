/**
 * Scenarios: the demo (test/fixtures/scenarios/demo.json, mirrored by `DEMO`), an empty
 * scenario, a builder for tests, and loading a scenario by name, path or object.
 */
import * as fs from 'node:fs';
import demoJson from '../fixtures/scenarios/demo.json';
import type {
  Scenario,
  ScenarioAccount,
  ScenarioAccountToken,
  ScenarioApiToken,
  ScenarioMoqRelay,
  ScenarioMoqToken,
  ScenarioServiceToken,
  ScenarioZone,
} from './types';
import { ALL_PERMISSIONS, PERMISSIONS } from './types';
import { accountTokenValue, globalApiKey, hex32, serviceClientId, serviceTokenSecret, userTokenValue, uuid } from './util';

/**
 * What an account-owned API token can hold of the permissions the simulator checks: everything
 * that acts in an account (user-level ones such as API Tokens Write or User Details Read do not
 * apply to a token that belongs to no user).
 */
export const ACCOUNT_ADMIN_PERMISSIONS: readonly string[] = [
  PERMISSIONS.accountApiTokensRead,
  PERMISSIONS.accountApiTokensWrite,
  PERMISSIONS.serviceTokensRead,
  PERMISSIONS.serviceTokensWrite,
  PERMISSIONS.moqRead,
  PERMISSIONS.moqWrite,
  PERMISSIONS.workersScriptsRead,
  PERMISSIONS.workersScriptsWrite,
  PERMISSIONS.pagesRead,
  PERMISSIONS.pagesWrite,
  PERMISSIONS.secretsStoreRead,
  PERMISSIONS.secretsStoreWrite,
];

/** Ids and initial secrets of the demo scenario (test/fixtures/scenarios/demo.json). */
export const DEMO = {
  user: {
    id: 'fc9ec2c9ce75bb75abee10b8a6cbbfba',
    email: 'demo@cf-rotate.example',
    /** Today's format (cfk_…). Zone-level Access service tokens accept only this (email + key) scheme. */
    globalApiKey: 'cfk_9SoTpdSCjfhMGO1TR0GmRMuDc7zwehNAQpQyq5iHd52a0a2b',
  },
  accountId: '954a55fc5f585e634c5bbd7b5e8f4cf2',
  accountName: 'Demo Account',
  zoneId: 'd4dce69cf309e278d779a3c35861a52a',
  zoneName: 'demo-rotate.example',
  /** User-owned API token "cf-rotate admin" with every permission the simulator checks. */
  admin: {
    id: '658901508566a6b12fc399c41e9e6985',
    name: 'cf-rotate admin',
    value: 'cfut_5zKGImLXBC2zuWWji86AKBiBuNA26K0XT0wKz4jc8c8d12ba',
  },
  /**
   * Account-owned API token "cf-rotate account admin": the admin credential Cloudflare now
   * recommends for automation (A1). It verifies only on /accounts/{id}/tokens/verify and holds
   * every account-level permission (ACCOUNT_ADMIN_PERMISSIONS); user-level routes refuse it.
   */
  accountAdmin: {
    id: 'cbb0603c8b3b0adb8c02b7a6eec43d8a',
    name: 'cf-rotate account admin',
    value: 'cfat_n1WGn0X0xTw9EFHPXnhzQx90jzT8vszpG9Y9nyCB12428f03',
  },
  /** Account-owned API token to rotate. */
  accountToken: {
    id: 'd4d91b6ee94bb6cf9ab22ea88c125f56',
    name: 'deploy',
    value: 'cfat_nOvrNkKHAMsWvHBzFaRgAUgurh7Lu1uSKemfG40Z7afce591',
  },
  /** User-owned API token to rotate. */
  userToken: {
    id: '82fa1b84efeff33491cb2df5b24508f5',
    name: 'me',
    value: 'cfut_7awiv2MQxQHIC3q74YFiKQ3j71eUJDCD2xzwpm9g07295d9c',
  },
  /** Account-level Access service token (rotate route available). */
  serviceToken: {
    id: 'ca3dcb05-d4a3-4edb-bfb3-57b90ed8d20d',
    name: 'ci-access',
    clientId: '7292a88e6457091cb0864e35e3857e60.access',
    clientSecret: 'cfast_gz758r0pgti30a8IqI5hD7iPHHhZjcFlR3oYpKoB6553b4ec',
  },
  /** Zone-level Access service token (no rotate route: PUT version bump only). */
  zoneServiceToken: {
    id: 'ceb37635-e9bd-4a38-a6f3-464ddb6e9194',
    name: 'zone-access',
    clientId: 'e3b9fa9297c25558287a34927f86c2e7.access',
    clientSecret: 'cfast_0S6YmEOm24OGOvF8maQ1xr0cpaIlWAau1TjUCorje675d343',
  },
  relay: {
    id: '48228cf27396a6c65b776a5578a657f2',
    name: 'demo-live',
    /** The relay's publish_subscribe token (a JWT whose payload carries the jti). */
    token: {
      jti: '09f1ec9d9f637cfc6d54bb1fd01472e4',
      type: 'publish_subscribe',
      label: 'encoder',
      value:
        'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJjbG91ZGZsYXJlIiwic3ViIjoiNDgyMjhjZjI3Mzk2YTZjNjViNzc2YTU1NzhhNjU3ZjIiLCJhY2MiOiI5NTRhNTVmYzVmNTg1ZTYzNGM1YmJkN2I1ZThmNGNmMiIsImp0aSI6IjA5ZjFlYzlkOWY2MzdjZmM2ZDU0YmIxZmQwMTQ3MmU0Iiwib3BlcmF0aW9ucyI6WyJwdWJsaXNoIiwic3Vic2NyaWJlIl0sImlhdCI6MTc5MzQ5MTIwMCwiZXhwIjoxODI1MDI3MjAwfQ.yJ8smq7srBW7RHk_StLauKvCfG2d_bG5H2EYiV4JWwhUv9E6rvp5mk78qMb1wpDgmQmrhb9bkELkeSy2iVkruA',
    },
  },
} as const;

/** The demo admin credential (user API token "cf-rotate admin", every permission). */
export const DEMO_ADMIN_TOKEN: string = DEMO.admin.value;

/** A fresh copy of the demo scenario. */
export function demoScenario(): Scenario {
  return structuredClone(demoJson) as Scenario;
}

/** Fixed user of `emptyScenario()`; its Global API key is in the pre-2026 format (lowercase hex, here 37 characters; 37–45 are valid), which still works. */
export const EMPTY_USER = {
  id: '00000000000000000000000000000001',
  email: 'user@example.com',
  globalApiKey: '0123456789abcdef0123456789abcdef01234',
} as const;

/** A scenario with only the user (Global API key auth works; no accounts, no tokens). */
export function emptyScenario(): Scenario {
  return {
    user: { ...EMPTY_USER },
    accounts: [],
    zones: [],
    userTokens: [],
    accountTokens: [],
    serviceTokens: [],
    moqRelays: [],
  };
}

/** Resolves 'demo', a JSON file path or a scenario object into a (copied) scenario. */
export function resolveScenario(s: Scenario | 'demo' | string | undefined): Scenario {
  if (s === undefined || s === 'demo') return demoScenario();
  if (s === 'empty') return emptyScenario();
  if (typeof s === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(s, 'utf8');
    } catch (e) {
      throw new Error(`scenario: cannot read ${s}: ${(e as Error).message}`);
    }
    try {
      return JSON.parse(text) as Scenario;
    } catch (e) {
      throw new Error(`scenario: ${s} is not valid JSON: ${(e as Error).message}`);
    }
  }
  return structuredClone(s);
}

type Filled<T, K extends keyof T> = T & Required<Pick<T, K>>;

/**
 * Builds a scenario for tests. Every `add…` method fills in ids and secrets right away and
 * returns the entry, so the test knows the values before the simulator starts.
 *
 *   const b = new ScenarioBuilder();
 *   const acc = b.account();
 *   const admin = b.adminToken();                  // user token with every permission
 *   const deploy = b.accountToken(acc.id, { name: 'deploy' });
 *   const sim = await start({ scenario: b.build() });
 */
export class ScenarioBuilder {
  private readonly s: Scenario;

  constructor(base: Scenario = emptyScenario()) {
    this.s = structuredClone(base);
  }

  /** Replaces the user (e.g. to test Global API key auth with known values); the key is minted as `cfk_…` unless given. */
  user(u: Partial<Scenario['user']> = {}): Scenario['user'] {
    this.s.user = { ...u, id: u.id ?? hex32(), email: u.email ?? 'user@example.com', globalApiKey: u.globalApiKey ?? globalApiKey() };
    return { ...this.s.user };
  }

  account(a: Partial<ScenarioAccount> = {}): ScenarioAccount {
    const acc = { id: a.id ?? hex32(), name: a.name ?? 'Test Account' };
    (this.s.accounts ??= []).push(acc);
    return { ...acc };
  }

  zone(accountId: string, z: Partial<ScenarioZone> = {}): ScenarioZone {
    const zone = { id: z.id ?? hex32(), name: z.name ?? `zone-${(this.s.zones?.length ?? 0) + 1}.example`, accountId };
    (this.s.zones ??= []).push(zone);
    return { ...zone };
  }

  userToken(t: Partial<ScenarioApiToken> = {}): Filled<ScenarioApiToken, 'id' | 'value'> {
    const tok = { name: 'user token', ...t, id: t.id ?? hex32(), value: t.value ?? userTokenValue() };
    (this.s.userTokens ??= []).push(tok);
    return structuredClone(tok);
  }

  /** A user-owned token with every permission the simulator checks (optionally limited to accounts). */
  adminToken(t: Partial<ScenarioApiToken> = {}): Filled<ScenarioApiToken, 'id' | 'value'> {
    return this.userToken({ name: 'admin', permissions: [...ALL_PERMISSIONS], ...t });
  }

  /** An account-owned token acting as the admin credential: every account-level permission (A1). */
  accountAdminToken(accountId: string, t: Partial<ScenarioApiToken> = {}): Filled<ScenarioAccountToken, 'id' | 'value'> {
    return this.accountToken(accountId, { name: 'account admin', permissions: [...ACCOUNT_ADMIN_PERMISSIONS], ...t });
  }

  accountToken(accountId: string, t: Partial<ScenarioApiToken> = {}): Filled<ScenarioAccountToken, 'id' | 'value'> {
    const tok = { name: 'account token', ...t, accountId, id: t.id ?? hex32(), value: t.value ?? accountTokenValue() };
    (this.s.accountTokens ??= []).push(tok);
    return structuredClone(tok);
  }

  serviceToken(
    t: Partial<ScenarioServiceToken> & ({ accountId: string } | { zoneId: string }),
  ): Filled<ScenarioServiceToken, 'id' | 'clientId' | 'clientSecret'> {
    const tok = {
      name: 'service token',
      ...t,
      id: t.id ?? uuid(),
      clientId: t.clientId ?? serviceClientId(),
      clientSecret: t.clientSecret ?? serviceTokenSecret(),
    };
    (this.s.serviceTokens ??= []).push(tok);
    return structuredClone(tok);
  }

  /** A relay; tokens given without jti get one. */
  relay(accountId: string, r: Partial<Omit<ScenarioMoqRelay, 'accountId'>> = {}): Filled<ScenarioMoqRelay, 'uid' | 'tokens'> {
    const tokens: ScenarioMoqToken[] = (r.tokens ?? []).map((t) => ({ ...t, jti: t.jti ?? hex32() }));
    const relay = { name: 'relay', ...r, accountId, uid: r.uid ?? hex32(), tokens };
    (this.s.moqRelays ??= []).push(relay);
    return structuredClone(relay);
  }

  build(): Scenario {
    return structuredClone(this.s);
  }
}
