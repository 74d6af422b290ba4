/**
 * Cloudflare destinations of a new secret (beside .env files): Worker secrets, Pages secrets and
 * Secrets Store secrets. Each write sends the whole value and is idempotent for a given value
 * (PUT / JSON merge PATCH), so a resumed rotation may send it again. No answer carries the
 * value back: Workers and Pages list names and types, the Secrets Store its metadata.
 *
 * Sources: Cloudflare's TypeScript SDK, src/resources/workers/scripts/secrets.ts,
 * pages/projects/projects.ts, secrets-store/stores/secrets.ts (notes B).
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { CfRotateError, toCfRotateError } from '../errors';
import { acceptedSchemes, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import type { PagesEnvironment, PagesProjectInfo, RequestOptions, StoreSecretInfo, WorkerBindingInfo, WorkerSecretInfo } from './types';

/** `{name, type}`: a Worker secret binding, value omitted (SDK SecretListResponse). */
const WorkerSecretSchema = z.object({ name: z.string(), type: z.string() });
const WorkerSecretListSchema = z.array(WorkerSecretSchema);

/**
 * The part of GET …/workers/scripts/{script}/settings cf-rotate reads (SDK @faaaf89e
 * script-and-version-settings.ts, ScriptAndVersionSettingGetResponse): each binding's name and type.
 * Other fields (a plain-text variable's `text`, a KV namespace's id, …) are dropped unread.
 */
const WorkerSettingsSchema = z.object({ bindings: z.optional(z.nullable(z.array(z.object({ name: z.string(), type: z.string() })))) });

const EnvVarSchema = z.nullable(z.object({ type: z.string() }));
const DeploymentConfigSchema = z.object({ env_vars: z.optional(z.nullable(z.record(z.string(), EnvVarSchema))) });
/** The part of a Pages `Project` cf-rotate reads: its name and the types of its environment variables. */
const PagesProjectSchema = z.object({
  name: z.string(),
  deployment_configs: z.optional(z.object({ production: z.optional(DeploymentConfigSchema), preview: z.optional(DeploymentConfigSchema) })),
});

/** SDK SecretGetResponse / SecretEditResponse (the value is write-only). */
const StoreSecretSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.optional(z.string()),
  created: z.optional(z.string()),
  modified: z.optional(z.string()),
  store_id: z.optional(z.string()),
});

function storeInfo(s: z.infer<typeof StoreSecretSchema>): StoreSecretInfo {
  return { id: s.id, name: s.name, ...(s.status ? { status: s.status } : {}), ...(s.modified ? { modified: s.modified } : {}), ...(s.created ? { created: s.created } : {}) };
}

const workerScriptPath = (accountId: string, script: string): string => `/accounts/${seg(accountId, l10n.t('account id'))}/workers/scripts/${seg(script, l10n.t('Worker name'))}`;
const workerPath = (accountId: string, script: string): string => `${workerScriptPath(accountId, script)}/secrets`;
const pagesPath = (accountId: string, project: string): string => `/accounts/${seg(accountId, l10n.t('account id'))}/pages/projects/${seg(project, l10n.t('Pages project name'))}`;
const storePath = (accountId: string, storeId: string, secretId: string): string =>
  `/accounts/${seg(accountId, l10n.t('account id'))}/secrets_store/stores/${seg(storeId, l10n.t('Secrets Store id'))}/secrets/${seg(secretId, l10n.t('secret id'))}`;

/** GET …/workers/scripts/{script}/secrets: names and types of the Worker's secrets (a 404 names a missing Worker). */
export async function listWorkerSecrets(core: RequestCore, accountId: string, script: string, opts?: RequestOptions): Promise<WorkerSecretInfo[]> {
  const what = l10n.t('reading the secrets of Worker "{0}" (account {1})', script, accountId);
  const res = await core.call({
    op: 'listWorkerSecrets',
    schemes: acceptedSchemes('listWorkerSecrets'),
    what,
    method: 'GET',
    path: workerPath(accountId, script),
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listWorkerSecrets,
    resource: l10n.t('Worker'),
    ...callOptions(opts),
  });
  return core.parse(res.result, WorkerSecretListSchema, what, false).map((s) => ({ name: s.name, type: s.type }));
}

/**
 * GET …/workers/scripts/{script}/settings: the names and types of every binding of the Worker (its
 * secrets, plain-text and JSON variables, KV namespaces, …). `GET …/secrets` lists the secrets only, and
 * Cloudflare refuses a secret whose name another binding uses (10053). Workers Scripts Read suffices
 * (Cloudflare's Workers roles: "Read metadata … settings"); a 404 names a missing Worker.
 */
export async function getWorkerBindings(core: RequestCore, accountId: string, script: string, opts?: RequestOptions): Promise<WorkerBindingInfo[]> {
  const what = l10n.t('reading the bindings of Worker "{0}" (account {1})', script, accountId);
  const res = await core.call({
    op: 'getWorkerSettings',
    schemes: acceptedSchemes('getWorkerBindings'),
    what,
    method: 'GET',
    path: `${workerScriptPath(accountId, script)}/settings`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getWorkerBindings,
    resource: l10n.t('Worker'),
    ...callOptions(opts),
  });
  return (core.parse(res.result, WorkerSettingsSchema, what, false).bindings ?? []).map((b) => ({ name: b.name, type: b.type }));
}

/** PUT …/workers/scripts/{script}/secrets {name, text, type: "secret_text"}: Cloudflare deploys a new version of the Worker. */
export async function putWorkerSecret(core: RequestCore, accountId: string, script: string, name: string, text: string, opts?: RequestOptions): Promise<void> {
  const what = l10n.t('sending the new secret to Worker "{0}" as {1} (account {2})', script, name, accountId);
  const res = await core
    .call({
      op: 'putWorkerSecret',
      schemes: acceptedSchemes('putWorkerSecret'),
      what,
      method: 'PUT',
      path: workerPath(accountId, script),
      body: { name, text, type: 'secret_text' },
      idempotent: true, // the same value again changes nothing but the version
      rotation: false,
      delivery: true,
      permission: REQUIRED_PERMISSIONS.putWorkerSecret,
      resource: l10n.t('Worker'),
      ...callOptions(opts),
    })
    .catch((e: unknown) => {
      const err = toCfRotateError(e);
      const refused = (message: string, hint: string): CfRotateError => new CfRotateError('validation', message, { hint, codes: err.codes, ...(err.status !== undefined ? { status: err.status } : {}), cause: err });
      // The latest version is not the deployed one (a version uploaded but not deployed, a gradual
      // deployment): Cloudflare refuses every secret edit until it is (workers-sdk #10585, #11882).
      if (err.codes.includes(WORKER_LATEST_NOT_DEPLOYED)) {
        throw refused(
          l10n.t('Cloudflare refuses to change the secrets of Worker "{0}" while its latest version is not the deployed one (code {1}): nothing was sent to it.', script, WORKER_LATEST_NOT_DEPLOYED),
          l10n.t('Deploy the latest version of "{0}" (wrangler versions deploy), or finish its gradual deployment.', script),
        );
      }
      // Another binding of the Worker (a plain-text variable, KV, R2, …) has this name (workers-sdk #7287, #12812).
      if (err.codes.includes(WORKER_BINDING_IN_USE)) {
        throw refused(
          l10n.t('Cloudflare refuses the secret {0} of Worker "{1}": another binding of the Worker (a variable, KV namespace, …) already has that name (code {2}).', name, script, WORKER_BINDING_IN_USE),
          l10n.t('Remove or rename that binding of "{0}" (its vars in the Wrangler file, or the dashboard), or change the "key" of this target in cf-rotate.json and write it there.', script),
        );
      }
      throw e;
    });
  core.parse(res.result, WorkerSecretSchema, what, false);
}

/** Workers: a secret edit while the Worker's latest version is not the deployed one (400). */
export const WORKER_LATEST_NOT_DEPLOYED = 10215;
/** Workers: a secret whose name another binding of the Worker already uses (400: "Binding name '…' already in use"). */
export const WORKER_BINDING_IN_USE = 10053;

/** GET …/pages/projects/{project}: the project and the types of its environment variables (secret values are never returned). */
export async function getPagesProject(core: RequestCore, accountId: string, project: string, opts?: RequestOptions): Promise<PagesProjectInfo> {
  const what = l10n.t('reading Pages project "{0}" (account {1})', project, accountId);
  const res = await core.call({
    op: 'getPagesProject',
    schemes: acceptedSchemes('getPagesProject'),
    what,
    method: 'GET',
    path: pagesPath(accountId, project),
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getPagesProject,
    resource: l10n.t('Pages project'),
    ...callOptions(opts),
  });
  return pagesInfo(core.parse(res.result, PagesProjectSchema, what, false));
}

function pagesInfo(p: z.infer<typeof PagesProjectSchema>): PagesProjectInfo {
  const types = (env: PagesEnvironment): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.deployment_configs?.[env]?.env_vars ?? {})) if (v) out[k] = v.type;
    return out;
  };
  return { name: p.name, envVars: { production: types('production'), preview: types('preview') } };
}

/**
 * PATCH …/pages/projects/{project} with `deployment_configs.{environment}.env_vars.{name} =
 * {type: "secret_text", value}`: a JSON merge patch, so every other variable and setting stays.
 */
export async function setPagesSecret(core: RequestCore, accountId: string, project: string, environment: PagesEnvironment, name: string, value: string, opts?: RequestOptions): Promise<PagesProjectInfo> {
  const what = l10n.t('sending the new secret to Pages project "{0}" ({1}) as {2} (account {3})', project, environment, name, accountId);
  const res = await core.call({
    op: 'editPagesProject',
    schemes: acceptedSchemes('setPagesSecret'),
    what,
    method: 'PATCH',
    path: pagesPath(accountId, project),
    body: { deployment_configs: { [environment]: { env_vars: { [name]: { type: 'secret_text', value } } } } },
    idempotent: true,
    rotation: false,
    delivery: true,
    permission: REQUIRED_PERMISSIONS.setPagesSecret,
    resource: l10n.t('Pages project'),
    ...callOptions(opts),
  });
  return pagesInfo(core.parse(res.result, PagesProjectSchema, what, false));
}

/** GET …/secrets_store/stores/{store}/secrets/{id}: the secret's metadata (never its value). */
export async function getStoreSecret(core: RequestCore, accountId: string, storeId: string, secretId: string, opts?: RequestOptions): Promise<StoreSecretInfo> {
  const what = l10n.t('reading secret {0} of Secrets Store {1} (account {2})', secretId, storeId, accountId);
  const res = await core.call({
    op: 'getStoreSecret',
    schemes: acceptedSchemes('getStoreSecret'),
    what,
    method: 'GET',
    path: storePath(accountId, storeId, secretId),
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getStoreSecret,
    resource: l10n.t('Secrets Store secret'),
    ...callOptions(opts),
  });
  return storeInfo(core.parse(res.result, StoreSecretSchema, what, false));
}

/** PATCH …/secrets_store/stores/{store}/secrets/{id} {value}: the value is write-only. */
export async function setStoreSecret(core: RequestCore, accountId: string, storeId: string, secretId: string, value: string, opts?: RequestOptions): Promise<StoreSecretInfo> {
  const what = l10n.t('sending the new secret to secret {0} of Secrets Store {1} (account {2})', secretId, storeId, accountId);
  const res = await core.call({
    op: 'editStoreSecret',
    schemes: acceptedSchemes('setStoreSecret'),
    what,
    method: 'PATCH',
    path: storePath(accountId, storeId, secretId),
    body: { value },
    idempotent: true,
    rotation: false,
    delivery: true,
    permission: REQUIRED_PERMISSIONS.setStoreSecret,
    resource: l10n.t('Secrets Store secret'),
    ...callOptions(opts),
  });
  return storeInfo(core.parse(res.result, StoreSecretSchema, what, false));
}
