export const buildInputs: string[];
export function sourceStamp(root: string): string;
export function restoreTsconfig(root: string, distDir: string, before: string): void;
