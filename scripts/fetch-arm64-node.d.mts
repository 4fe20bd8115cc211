/** Types of fetch-arm64-node.mjs for the tests that run the arm64 Node it fetches. */
export declare const ARM64_NODE: { readonly name: string; readonly version: string };
export declare function arm64NodeDir(env?: NodeJS.ProcessEnv): string;
export declare function arm64NodeBinary(env?: NodeJS.ProcessEnv): string;
