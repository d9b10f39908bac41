// The in-process JavaScript clients, loaded lazily (a broken src/ must not stop nats.js runs).
import type { ClientModule } from "./adapter.js";

export const JS_CLIENTS: Record<string, () => Promise<{ client: ClientModule }>> = {
  "tsnats": () => import("./client_tsnats.js"),
  "nats.js": () => import("./client_natsjs.js"),
};
