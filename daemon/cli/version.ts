/** The package version, injected by esbuild (a dev version when run from source). */
declare const UNIRL_VERSION: string | undefined;
export const VERSION = typeof UNIRL_VERSION === 'string' ? UNIRL_VERSION : '0.0.0-dev';
