/**
 * Operator-mode ("decentralized auth") fixtures for tests: an operator, its system account and
 * accounts, all JWTs signed with tsnats' own nkeys, and the nats-server config text that trusts
 * them with the in-memory resolver (`resolver: MEMORY` + `resolver_preload`).
 *
 *   const op = new TestOperator();
 *   const acct = op.account("A");
 *   const server = await NatsServer.start({ config: op.config() });
 *   const user = acct.user();                      // user JWT signed by the account
 *   const path = await writeCredsFile(dir, user.creds);
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccountJwt,
  encodeOperatorJwt,
  encodeUserJwt,
  formatCreds,
  type AccountNats,
  type KeyPair,
  type UserNats,
} from "../../src/index.js";

const td = new TextDecoder();

/** A user issued by a {@link TestAccount}: key pair, user JWT, and the creds file text. */
export interface TestUser {
  key: KeyPair;
  pub: string;
  /** The seed (`SU…`) as text. */
  seed: string;
  jwt: string;
  creds: string;
}

export interface UserOptions {
  name?: string;
  /** Expiry, unix seconds. */
  exp?: number;
  /** Issued-at, unix seconds (default now). */
  iat?: number;
  nats?: UserNats;
}

/** An account signed by the operator. `jwt` can be re-issued (e.g. with revocations). */
export class TestAccount {
  readonly key: KeyPair = createAccount();
  readonly pub: string = this.key.getPublicKey();
  jwt: string;

  constructor(
    private readonly operator: KeyPair,
    readonly name: string,
    nats?: AccountNats,
  ) {
    this.jwt = this.issue(nats);
  }

  /** Re-signs this account's JWT with new `nats` claims (same account key). */
  issue(nats?: AccountNats): string {
    this.jwt = encodeAccountJwt(this.key, this.operator, { name: this.name, nats });
    return this.jwt;
  }

  /** A new user of this account (or a JWT for an existing user key). */
  user(opts: UserOptions = {}, key: KeyPair = createUser()): TestUser {
    const jwt = encodeUserJwt(key, this.key, opts);
    const seed = td.decode(key.getSeed());
    return { key, pub: key.getPublicKey(), seed, jwt, creds: formatCreds(jwt, seed) };
  }
}

/** An operator with a system account, able to create accounts and render a server config. */
export class TestOperator {
  readonly key: KeyPair = createOperator();
  readonly pub: string = this.key.getPublicKey();
  readonly system: TestAccount;
  readonly accounts: TestAccount[] = [];
  readonly jwt: string;

  constructor(name = "tsnats-test-operator") {
    this.system = new TestAccount(this.key, "SYS");
    this.jwt = encodeOperatorJwt(this.key, { name, nats: { system_account: this.system.pub } });
  }

  /** A new account signed by this operator (included in `config()`). */
  account(name: string, nats?: AccountNats): TestAccount {
    const a = new TestAccount(this.key, name, nats);
    this.accounts.push(a);
    return a;
  }

  /** Server config text: trust this operator, its system account, and preload every account JWT. */
  config(): string {
    const preload = [this.system, ...this.accounts].map((a) => `    ${a.pub}: ${JSON.stringify(a.jwt)}`).join("\n");
    return [
      `operator: ${JSON.stringify(this.jwt)}`,
      `system_account: ${this.system.pub}`,
      `resolver: MEMORY`,
      `resolver_preload: {\n${preload}\n}`,
    ].join("\n");
  }
}

/** A temp dir for creds files; `cleanup()` removes it. */
export async function credsDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "tsnats-creds-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes creds text to `<dir>/<name>` with owner-only permissions and returns the path. */
export async function writeCredsFile(dir: string, creds: string, name = "user.creds"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, creds, { mode: 0o600 });
  return path;
}
