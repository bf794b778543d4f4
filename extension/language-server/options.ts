/**
 * What the extension tells the language server at start (`initializationOptions`), shared by
 * both sides so a setting added here is typed at both ends.
 */
export interface ServerOptions {
  /**
   * VS Code's JSON extension is active for *.unirl.json (contributes.jsonValidation): it reports
   * syntax and schema errors, completes field names and enum values, and shows each field's
   * description. The server then adds only what the schema cannot say, so nothing shows twice.
   * Without it (tests, other editors) the server does all of it.
   */
  jsonLanguageFeatures: boolean;
  /** Quiet time after the last keystroke before a document is validated again. */
  debounceMs: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = { jsonLanguageFeatures: false, debounceMs: 200 };

/** Reads options from the client; anything missing or of the wrong type takes its default. */
export function parseServerOptions(value: unknown): ServerOptions {
  const raw = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const json = raw['jsonLanguageFeatures'];
  const debounce = raw['debounceMs'];
  return {
    jsonLanguageFeatures: typeof json === 'boolean' ? json : DEFAULT_SERVER_OPTIONS.jsonLanguageFeatures,
    debounceMs:
      typeof debounce === 'number' && Number.isFinite(debounce) && debounce >= 0 && debounce <= 5000 ? debounce : DEFAULT_SERVER_OPTIONS.debounceMs,
  };
}
