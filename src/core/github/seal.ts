/**
 * Loads the sealed-box bundle only when a GitHub target is written: dist/sealbox.js beside
 * dist/cli.js and dist/runtime.js (esbuild leaves `require('./sealbox')` external), or
 * out/src/core/github/sealbox.js under tsc. Nothing else of cf-rotate loads the library.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import type * as SealBox from './sealbox';

let loaded: typeof SealBox | undefined;

export function loadSealBox(): typeof SealBox {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./sealbox') as typeof SealBox;
  return loaded;
}

/** The value sealed to a GitHub public key (base64), as `encrypted_value`. */
export function sealForGitHub(value: string, publicKeyBase64: string): string {
  let mod: typeof SealBox;
  try {
    mod = loadSealBox();
  } catch (e) {
    throw new CfRotateError('internal', l10n.t('cf-rotate could not load its encryption module for GitHub secrets ({0}).', e instanceof Error ? (e.message.split('\n')[0] as string) : String(e)), {
      hint: l10n.t('Reinstall cf-rotate (sealbox.js belongs beside cli.js / runtime.js). The new secret stays in the journal; resume once it is fixed.'),
      cause: e,
    });
  }
  try {
    return mod.sealBase64(value, publicKeyBase64);
  } catch (e) {
    throw new CfRotateError('contract', l10n.t('The public key GitHub gave for its Actions secrets cannot be used ({0}).', e instanceof Error ? e.message : String(e)), { hint: l10n.t('Retry later; if it persists, report it.'), cause: e });
  }
}
