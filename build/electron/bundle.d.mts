// Types for bundle.mjs (plain JS so `npm start` runs it without a TypeScript loader).
export declare const projectRoot: string;
export declare const outDir: string;
export declare function bundleElectron(opts?: { minify?: boolean; outDir?: string }): Promise<{ main: string; preload: string }>;
export declare function bundlePreload(opts?: { outfile?: string; minify?: boolean; write?: boolean }): Promise<string | undefined>;
