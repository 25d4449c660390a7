export const ALLOWED_INPUT: RegExp;
export function bundleAgent(outfile?: string, target?: string): Promise<{ outfile: string; inputs: string[]; bytes: number }>;
