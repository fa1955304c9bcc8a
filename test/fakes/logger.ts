/** A logger that records instead of printing, so tests can assert what was (and was not) logged. */
export interface LogEntry {
  level: "info" | "warn" | "error";
  fields: object;
  message: string;
}

export function recordingLogger() {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry["level"]) => (fields: object, message: string) =>
    void entries.push({ level, fields, message });
  return {
    entries,
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    /** Everything logged, as one string to search for leaks. */
    dump: () => JSON.stringify(entries),
  };
}
