export type ServerRole = "current" | "mid" | "oldest";
export interface ServerPin { version: string; from: "go" | "debian" }
export interface ResolvedServer { role: ServerRole; path: string; version: string; note?: string }
export declare const ROLES: ServerRole[];
export declare function pinnedServers(): Record<ServerRole, ServerPin>;
export declare function cacheDir(): string;
export declare function goServerPath(version: string): string;
export declare function systemServerPath(): string | null;
export declare function goCommand(): string | null;
export declare function binaryVersion(path: string): string;
export declare function compareVersions(a: string, b: string): number;
export declare function resolveServer(role?: ServerRole): ResolvedServer;
export declare function buildGoServer(version: string, log?: (s: string) => void): string | null;
