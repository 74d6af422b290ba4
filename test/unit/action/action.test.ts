/**
 * The GitHub Action (action.yml at the repository root): its composite step runs as a runner
 * would run it — action.yml is read, `${{ inputs.* }}` filled in (defaults included), the step's
 * `env` mapped, its `run` script executed by bash with GITHUB_ACTION_PATH, GITHUB_WORKSPACE,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP — against the simulator. Checks outputs,
 * the summary, the masking lines, secrets in the log, and the exit status.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';
import * as esbuild from 'esbuild';
import { parse } from 'dotenv';
import { repoRoot } from '../../harness/util';
import { startWorld, type World } from '../helpers/world';

const ROOT = repoRoot();
const DAY = 86_400_000;
const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

interface BuildScript {
  cliPackageTargets(dir?: string): BuildOptions[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const script = require(path.join(ROOT, 'esbuild.js')) as BuildScript;
// js-yaml comes with mocha (a dev dependency); only this test reads YAML.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): unknown };

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id?: string; shell: string; env?: Record<string, string>; run: string; uses?: string }[] };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** `name<<DELIM\nvalue\nDELIM` entries of a GITHUB_OUTPUT file (and plain name=value lines). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] as string, i + 1);
      assert.ok(end > i, `output ${heredoc[1]} has a closing delimiter`);
      out[heredoc[1] as string] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

describe('GitHub Action (action.yml)', function () {
  this.timeout(60_000);
  const action = yaml.load(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml;
  let tmp: string;
  let actionPath: string;
  let world: World;

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-action-')));
    actionPath = path.join(tmp, 'action');
    fs.mkdirSync(actionPath);
    fs.copyFileSync(path.join(ROOT, 'action.yml'), path.join(actionPath, 'action.yml'));
    // What a release of the action carries: packages/cli/dist as `npm run build:cli` makes it.
    await Promise.all(script.cliPackageTargets(path.join(actionPath, 'packages', 'cli', 'dist')).map((t) => esbuild.build({ ...t, absWorkingDir: ROOT, logLevel: 'silent' })));
    world = await startWorld();
  });
  after(async () => {
    await world.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is a composite action with the documented inputs and outputs, and installs nothing', () => {
    assert.equal(action.runs.using, 'composite');
    for (const i of ['api-token', 'account-id', 'config', 'mode', 'names', 'github-token', 'dry-run']) assert.ok(action.inputs[i], `input ${i}`);
    assert.equal(action.inputs['api-token']?.required, true);
    assert.equal(action.inputs.mode?.default, 'due');
    for (const o of ['results', 'rotated', 'failed', 'state-dir', 'cli']) assert.match(action.outputs[o]?.value ?? '', new RegExp(`steps\\.rotate\\.outputs\\.${o}`));
    for (const step of action.runs.steps) {
      assert.equal(step.uses, undefined, 'no other action is pulled in');
      const commands = step.run.split('\n').filter((l) => !/^\s*echo /.test(l));
      for (const c of commands) assert.ok(!/\b(npm|npx|yarn|pnpm|curl|wget)\b/.test(c), `the step installs or downloads nothing: ${c}`);
      // Inputs reach the script only through env, never spliced into the script text.
      assert.ok(!/\$\{\{/.test(step.run), 'no ${{ }} expression inside run');
    }
  });

  it("the README's CI recipe uses the action, installs nothing and caches nothing in the job that holds the admin token", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### In CI (GitHub Actions)'), readme.indexOf('## Troubleshooting'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section);
    assert.ok(block, 'the CI section has a workflow');
    const workflow = yaml.load(block[1] as string) as { jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, string> }[] }> };
    for (const job of Object.values(workflow.jobs)) {
      const steps = job.steps;
      const rotate = steps.find((st) => /cf-rotate@/.test(st.uses ?? ''));
      assert.ok(rotate, 'the job uses the cf-rotate action');
      assert.match(rotate.with?.['api-token'] ?? '', /secrets\./);
      for (const st of steps) {
        assert.ok(!/^actions\/cache/.test(st.uses ?? ''), 'no cache (none may hold a secret)');
        assert.ok(!/\b(npm|npx|yarn|pnpm)\b/.test(st.run ?? ''), `no package install in the job: ${st.run}`);
      }
    }
  });

  /** Runs the composite steps as the runner would, with `inputs` (unset ones take their defaults). */
  async function runAction(inputs: Record<string, string>, workspace: string, opts: { actionDir?: string } = {}): Promise<Ran> {
    return runActionWith({}, inputs, workspace, opts);
  }

  /** runAction with extra runner environment (e.g. GITHUB_API_URL). */
  async function runActionWith(runnerEnv: Record<string, string>, inputs: Record<string, string>, workspace: string, opts: { actionDir?: string } = {}): Promise<Ran> {
    const runnerTemp = fs.mkdtempSync(path.join(tmp, 'runner-temp-'));
    const outputFile = path.join(runnerTemp, 'github_output');
    const summaryFile = path.join(runnerTemp, 'step_summary');
    fs.writeFileSync(outputFile, '');
    fs.writeFileSync(summaryFile, '');
    const value = (name: string): string => inputs[name] ?? action.inputs[name]?.default ?? '';
    let stdout = '';
    let stderr = '';
    let code = 0;
    for (const step of action.runs.steps) {
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = v.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_m, n: string) => value(n));
      const env: NodeJS.ProcessEnv = {
        PATH: `${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin`,
        HOME: process.env.HOME,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTION_PATH: opts.actionDir ?? actionPath,
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: runnerTemp,
        ...runnerEnv,
        ...stepEnv,
      };
      const script = path.join(runnerTemp, `step-${step.id ?? 'x'}.sh`);
      fs.writeFileSync(script, step.run);
      const r = await new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
        // As the runner runs `shell: bash`.
        const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', reject);
        child.on('close', (c) => resolve({ code: c ?? 1, out, err }));
      });
      stdout += r.out;
      stderr += r.err;
      code = r.code;
      if (code !== 0) break;
    }
    return { code, stdout, stderr, outputs: parseOutputs(fs.readFileSync(outputFile, 'utf8')), summary: fs.readFileSync(summaryFile, 'utf8') };
  }

  function workspaceWith(tokens: unknown[], dotenv: string): string {
    const ws = fs.mkdtempSync(path.join(tmp, 'ws-'));
    fs.mkdirSync(path.join(ws, '.vscode'));
    fs.writeFileSync(path.join(ws, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens }));
    fs.writeFileSync(path.join(ws, '.env.ci'), dotenv);
    return ws;
  }

  const adminToken = (): string => (world.admin as { token: string }).token;

  /** Every secret appears in the log only inside its ::add-mask:: line. */
  function assertMasked(log: string, secrets: string[]): void {
    for (const s of secrets) {
      assert.ok(log.includes(`::add-mask::${s}\n`), 'the secret is masked');
      const unmasked = log.split('\n').filter((l) => l.includes(s) && l !== `::add-mask::${s}`);
      assert.deepEqual(unmasked, [], 'a secret appears outside its ::add-mask:: line');
    }
  }

  it('mode due: rotates what Cloudflare says is due, masks every value, writes the summary and a JSON output', async () => {
    const c = world.sim.control;
    const old = c.addAccountToken(world.accountId, { name: 'old', issuedOn: ago(100), modifiedOn: ago(45) });
    const fresh = c.addAccountToken(world.accountId, { name: 'fresh', issuedOn: ago(3), modifiedOn: ago(3) });
    const access = c.addServiceToken({ accountId: world.accountId, name: 'ci-access', createdAt: ago(400), updatedAt: ago(95), duration: 'forever' });
    const ws = workspaceWith(
      [
        { name: 'old', kind: 'account-api-token', accountId: world.accountId, tokenId: old.id, rotateEveryDays: 30, targets: [{ file: '.env.ci', key: 'OLD' }] },
        { name: 'fresh', kind: 'account-api-token', accountId: world.accountId, tokenId: fresh.id, rotateEveryDays: 30, targets: [{ file: '.env.ci', key: 'FRESH' }] },
        { name: 'ci-access', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: access.id, gracePeriod: '1h', rotateEveryDays: 90, targets: [{ file: '.env.ci', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env.ci', key: 'CF_ACCESS_CLIENT_SECRET' }] },
      ],
      `OLD=${old.value}\nFRESH=${fresh.value}\nCF_ACCESS_CLIENT_ID=${access.clientId}\nCF_ACCESS_CLIENT_SECRET=${access.clientSecret}\n`,
    );
    const githubToken = 'ghs_' + 'x1Y2z3'.repeat(6);
    const r = await runAction({ 'api-token': adminToken(), 'github-token': githubToken, 'api-base': world.sim.url }, ws);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

    const st = world.sim.control.state();
    const newOld = st.accountTokens.find((t) => t.id === old.id)!.value;
    const newSecret = st.serviceTokens.find((t) => t.id === access.id)!.clientSecret;
    const file = parse(fs.readFileSync(path.join(ws, '.env.ci'), 'utf8'));
    assert.equal(file.OLD, newOld);
    assert.notEqual(newOld, old.value);
    assert.equal(file.CF_ACCESS_CLIENT_SECRET, newSecret);
    assert.equal(file.FRESH, fresh.value, 'fresh is not due');

    const results = JSON.parse(r.outputs.results ?? 'null') as { name: string; ok: boolean; state: string }[];
    assert.deepEqual(results.map((x) => [x.name, x.ok, x.state]).sort(), [['ci-access', true, 'rotated'], ['old', true, 'rotated']]);
    assert.equal(r.outputs.rotated, '2');
    assert.equal(r.outputs.failed, '0');
    assert.equal(r.outputs.cli, path.join(actionPath, 'packages', 'cli', 'dist', 'cli.js'));
    assert.ok(r.outputs['state-dir']?.startsWith(path.dirname(r.outputs['state-dir'] ?? '')) && /runner-temp-.*[/\\]cf-rotate$/.test(r.outputs['state-dir'] ?? ''), 'the journal lives under RUNNER_TEMP');

    assert.match(r.summary, /^### cf-rotate: 2 rotated, 0 failed \(due\)/m);
    assert.match(r.summary, /\| token \| kind \| result \| targets \| notes \|/);
    assert.match(r.summary, /\| old \| account-api-token \| ✅ rotated \| `\.env\.ci` › `OLD` \| verified by Cloudflare \|/);
    assert.match(r.summary, /\| ci-access \| access-service-token \| ✅ rotated \|.*previous secret valid until/);
    assert.doesNotMatch(r.summary, /\| fresh \|/);

    const log = `${r.stdout}\n${r.stderr}`;
    assertMasked(log, [adminToken(), githubToken, newOld, newSecret, access.clientId]);
    for (const s of [newOld, newSecret, adminToken(), githubToken]) {
      assert.ok(!r.summary.includes(s) && !Object.values(r.outputs).some((v) => v.includes(s)), 'no secret in the summary or the outputs');
    }
  });

  it('a GitHub Actions target: the github-token input reaches cf-rotate as GH_TOKEN; the secret lands sealed in the repository; nothing is printed', async () => {
    const t = world.sim.control.addAccountToken(world.accountId, { name: 'to-github' });
    world.sim.control.seed({ githubRepos: [{ name: 'acme/consumer', environments: ['prod'] }] });
    const gh = world.sim.control.seed({ githubTokens: [{ login: 'action' }] }).githubTokens[0]!.value;
    const ws = workspaceWith([{ name: 'to-github', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ github: 'acme/consumer', key: 'CLOUDFLARE_API_TOKEN' }, { github: 'acme/consumer', environment: 'prod', key: 'CLOUDFLARE_API_TOKEN' }] }], '');
    // The runner sets GITHUB_API_URL; here it points at the simulator's GitHub.
    const r = await runActionWith({ GITHUB_API_URL: world.sim.githubUrl }, { 'api-token': adminToken(), 'github-token': gh, mode: 'names', names: 'to-github', 'api-base': world.sim.url }, ws);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const live = world.sim.control.state().accountTokens.find((x) => x.id === t.id)!.value;
    const repo = world.sim.control.state().githubRepos.find((x) => x.name === 'acme/consumer')!;
    assert.equal(repo.secrets[0]?.value, live, 'the repository secret holds the new value (opened by the simulator)');
    assert.equal(repo.environments[0]?.secrets[0]?.value, live, 'so does the environment secret');
    assert.match(r.summary, /github:acme\/consumer/);
    const log = `${r.stdout}\n${r.stderr}`;
    assertMasked(log, [adminToken(), gh]);
    assert.ok(!log.includes(live) && !r.summary.includes(live), 'the new value is printed nowhere');
  });

  it('a file named like a destination ("github:x.env") is a file: its new value is masked like any other', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'odd' });
    const ws = workspaceWith([{ name: 'odd', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'github:x.env', key: 'TOKEN' }] }], '');
    fs.writeFileSync(path.join(ws, 'github:x.env'), `TOKEN=${tok.value}\n`);
    const r = await runAction({ 'api-token': adminToken(), mode: 'names', names: 'odd', 'api-base': world.sim.url }, ws);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const now = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    assert.equal(parse(fs.readFileSync(path.join(ws, 'github:x.env'), 'utf8')).TOKEN, now);
    assertMasked(`${r.stdout}\n${r.stderr}`, [now]);
  });

  it('a failed rotation fails the step (exit 1) with an ::error::, the summary and the outputs say which', async () => {
    const t = world.sim.control.addAccountToken(world.accountId, { name: 'flaky' });
    const ws = workspaceWith([{ name: 'flaky', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env.ci', key: 'FLAKY' }] }], `FLAKY=${t.value}\n`);
    world.sim.control.addFault({ op: 'rollAccountToken', type: 'status', status: 503, times: -1 });
    try {
      // The 503 leaves the roll's outcome open until its deadline (timeout + margin): a 1 s timeout, as a job's env may set it.
      const r = await runActionWith({ CF_ROTATE_TIMEOUT: '1' }, { 'api-token': adminToken(), mode: 'names', names: 'flaky', 'api-base': world.sim.url }, ws);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^::error title=cf-rotate: flaky::failed: /m);
      assert.equal(r.outputs.failed, '1');
      assert.equal(r.outputs.rotated, '0');
      assert.deepEqual((JSON.parse(r.outputs.results ?? '[]') as { ok: boolean }[]).map((x) => x.ok), [false]);
      assert.match(r.summary, /cf-rotate: 0 rotated, 1 failed \(names\)/);
      assert.match(r.summary, /\| flaky \| account-api-token \| ❌ failed \|/);
      assert.equal(parse(fs.readFileSync(path.join(ws, '.env.ci'), 'utf8')).FLAKY, t.value, 'the file is unchanged');
      assertMasked(`${r.stdout}\n${r.stderr}`, [adminToken(), t.value]);
    } finally {
      world.sim.control.clearFaults();
    }
  });

  it('mode all with dry-run checks everything and changes nothing', async () => {
    const t = world.sim.control.addAccountToken(world.accountId, { name: 'dry' });
    const ws = workspaceWith([{ name: 'dry', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env.ci', key: 'DRY' }] }], `DRY=${t.value}\n`);
    const r = await runAction({ 'api-token': adminToken(), mode: 'all', 'dry-run': 'true', 'api-base': world.sim.url }, ws);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.summary, /cf-rotate: 1 checked, 0 failed \(all, dry run\)/);
    assert.match(r.summary, /✅ ok \(dry run\)/);
    assert.equal(world.sim.control.state().accountTokens.find((x) => x.id === t.id)!.value, t.value);
  });

  it('what needs cf-rotate\'s state after the job (replace; an OAuth client with an overlap) is refused before anything is rotated: the runner empties RUNNER_TEMP', async () => {
    const t = world.sim.control.addAccountToken(world.accountId, { name: 'twinned' });
    const plain = world.sim.control.addAccountToken(world.accountId, { name: 'plain' });
    const ws = workspaceWith(
      [
        { name: 'plain', kind: 'account-api-token', accountId: world.accountId, tokenId: plain.id, targets: [{ file: '.env.ci', key: 'PLAIN' }] },
        { name: 'twinned', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, strategy: 'replace', targets: [{ file: '.env.ci', key: 'T' }] },
      ],
      `PLAIN=${plain.value}\nT=${t.value}\n`,
    );
    world.sim.control.clearRequests();
    const r = await runAction({ 'api-token': adminToken(), mode: 'all', 'api-base': world.sim.url }, ws);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /::error title=cf-rotate::"twinned" uses "strategy": "replace", which this action cannot finish.*Use "strategy": "roll".*Nothing was rotated\./);
    assert.equal(world.sim.control.requests().length, 0, 'no request at all');
    assert.equal(world.sim.control.state().accountTokens.find((x) => x.id === plain.id)!.value, plain.value);
    // Only the named tokens count with mode: names.
    const named = await runAction({ 'api-token': adminToken(), mode: 'names', names: 'plain', 'api-base': world.sim.url }, ws);
    assert.equal(named.code, 0, named.stdout + named.stderr);
    const oauth = workspaceWith([{ name: 'app', kind: 'oauth-client-secret', accountId: world.accountId, clientId: 'c'.repeat(32), targets: [{ file: '.env.ci', key: 'S' }] }], 'S=x\n');
    const o = await runAction({ 'api-token': adminToken(), mode: 'all', 'api-base': world.sim.url }, oauth);
    assert.equal(o.code, 2);
    assert.match(o.stdout, /OAuth client "app" keeps its previous secret for its overlap \(24h\).*Set "overlap": "0s"/);
  });

  it('bad inputs and a configuration error stop before anything is rotated, with an ::error::', async () => {
    const ws = workspaceWith([], '');
    const badMode = await runAction({ 'api-token': adminToken(), mode: 'sometimes' }, ws);
    assert.equal(badMode.code, 2);
    assert.match(badMode.stdout, /::error title=cf-rotate::Input "mode" must be due, all or names, not "sometimes"\. Nothing was rotated\./);
    const noNames = await runAction({ 'api-token': adminToken(), mode: 'names' }, ws);
    assert.equal(noNames.code, 2);
    const noToken = await runAction({ 'api-token': '' }, ws);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stdout, /Input "api-token" is empty/);
    fs.writeFileSync(path.join(ws, '.vscode', 'cf-rotate.json'), '{"tokens": [{"name": "x"}]}');
    const badConfig = await runAction({ 'api-token': adminToken(), 'api-base': world.sim.url }, ws);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /tokens\[0\]/, 'the CLI says what is wrong with the configuration');
    assert.match(badConfig.summary, /cf-rotate stopped before rotating anything \(exit 2\)/);
    assert.equal(badConfig.outputs.results, '[]');
  });

  it('a ref without the bundled CLI fails with what to do', async () => {
    const bare = fs.mkdtempSync(path.join(tmp, 'bare-action-'));
    const r = await runAction({ 'api-token': adminToken() }, workspaceWith([], ''), { actionDir: bare });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /::error title=cf-rotate::This ref of the action has no bundled CLI .*Use a release tag/);
  });
});
