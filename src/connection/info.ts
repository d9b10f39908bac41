/** The server's INFO (fields the client uses; unknown fields are kept). */
export interface ServerInfo {
  server_id: string;
  server_name: string;
  version: string;
  go?: string;
  host: string;
  port: number;
  proto: number;
  headers?: boolean;
  max_payload: number;
  client_id?: number;
  client_ip?: string;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  tls_available?: boolean;
  nonce?: string;
  connect_urls?: string[];
  ws_connect_urls?: string[];
  ldm?: boolean;
  jetstream?: boolean;
  domain?: string;
  cluster?: string;
  /** JetStream API level (nats-server 2.11+; absent before). */
  api_lvl?: number;
  /** The server's curve public key (nats-server 2.10+). */
  xkey?: string;
  [k: string]: unknown;
}
