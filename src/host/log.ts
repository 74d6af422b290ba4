/**
 * The "Cloudflare Rotate" log channel, reachable only through the core's redacting logger. Each
 * line is also made `plain`: text from a repository or from Cloudflare cannot forge a log line
 * (line breaks) or hide itself (control, bidi, invisible characters). The channel is the only
 * sink (no console mirror), and the core logs each outcome once: notifications of an outcome the
 * engine logged do not log it again.
 */
import * as vscode from 'vscode';
import { redactingLogger } from '../core/log';
import type { Logger } from '../core/ports';
import { plain } from '../core/text';
import { OUTPUT_CHANNEL_NAME } from '../constants';

export interface LogHandle {
  channel: vscode.LogOutputChannel;
  /** Every line passes the redactor. */
  logger: Logger;
}

export function createLog(): LogHandle {
  const channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const sink: Logger = {
    trace: (m) => channel.trace(plain(m)),
    debug: (m) => channel.debug(plain(m)),
    info: (m) => channel.info(plain(m)),
    warn: (m) => channel.warn(plain(m)),
    error: (m) => channel.error(plain(m)),
  };
  const redacted = redactingLogger(sink);
  // A line below the channel's level is dropped before it is redacted (the channel would drop it
  // anyway): a batch logs a few debug lines per request, each scanned for every secret it knows.
  const shown = (level: vscode.LogLevel): boolean => channel.logLevel !== vscode.LogLevel.Off && channel.logLevel <= level;
  const logger: Logger = {
    trace: (m) => {
      if (shown(vscode.LogLevel.Trace)) redacted.trace(m);
    },
    debug: (m) => {
      if (shown(vscode.LogLevel.Debug)) redacted.debug(m);
    },
    info: (m) => redacted.info(m),
    warn: (m) => redacted.warn(m),
    error: (m) => redacted.error(m),
  };
  return { channel, logger };
}
