export const buildInputs: string[];
export function sourceStamp(root: string): string;
export function restoreTsconfig(root: string, distDir: string, before: string): void;
export function isBuiltFrom(root: string, distDir: string, stampName: string, stamp: string): boolean;
export function buildPages(
  root: string,
  distDir: string,
  options: {
    env: Record<string, string | undefined>;
    stampName: string;
    stamp: string;
    logFile?: string;
    compileOnly?: boolean;
  },
): Promise<void>;
