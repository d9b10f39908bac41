// `new Svcm(nc)`: adds services to a connection and makes discovery clients.
import { InvalidArgumentError, type NatsConnection } from "../core.js";
import { ServiceClient } from "./client.js";
import { Service } from "./service.js";
import type { ServiceClientOptions, ServiceConfig } from "./types.js";

/** The Service API of a connection. Several services may share it. */
export class Svcm {
  readonly nc: NatsConnection;

  constructor(nc: NatsConnection) {
    if (typeof (nc as Partial<NatsConnection> | undefined)?.subscribe !== "function") throw new InvalidArgumentError("Svcm needs a connection from connect()");
    this.nc = nc;
  }

  /**
   * Starts a service: validates `config` (name `[A-Za-z0-9_-]+`, SemVer version) and subscribes its
   * `$SRV` subjects; resolves once the server has them. Rejects with InvalidArgumentError /
   * BadSubjectError before anything is sent, or with the server's refusal (permissions).
   */
  async add(config: ServiceConfig): Promise<Service> {
    return new Service(this.nc, config).start();
  }

  /** A discovery client: `ping()`, `info()`, `stats()`. Throws InvalidArgumentError for bad options. */
  client(opts?: ServiceClientOptions): ServiceClient {
    return new ServiceClient(this.nc, opts);
  }
}
