/**
 * Target drivers: where a new secret is written once the journal holds it. The file target
 * (files.ts: .env-style files in the workspace, several keys of one file in one write) and the
 * destinations (destinations.ts: Workers, Pages, Secrets Store, GitHub Actions, one driver each).
 * The engine writes the files first, then each destination, and journals each destination once
 * written; resume writes what is not.
 */
export * from './files';
export { destinationDriver, destinationFromConfig, destinationNote, githubScope, type DestinationContext, type DestinationDriver } from './destinations';
