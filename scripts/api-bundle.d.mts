// Types for scripts/api-bundle.mjs, used by test/e2e/global-setup.ts.
export declare const nextHostEntry: string;
export declare function apiBundleFile(root: string, distDir: string): string;
export declare function bundleApi(root: string, entry: string, outfile: string): Promise<void>;
export declare function importBundled(root: string, entry: string): Promise<Record<string, unknown>>;
