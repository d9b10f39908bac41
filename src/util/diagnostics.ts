/**
 * `node:diagnostics_channel` events, so tracing tools can hook in without a dependency.
 * Channel names (each message is a plain object):
 * - `tsnats:connect`    { server, info }         first connection established
 * - `tsnats:connected`  { server, ms }           any (re)connection's handshake completed
 * - `tsnats:disconnect` { server, error }        the connection was lost
 * - `tsnats:reconnect`  { server }               reconnected
 * - `tsnats:close`      { error? }               closed for good
 * - `tsnats:publish`    { subject, reply?, size } a message was accepted for sending
 * - `tsnats:request`    { subject, ms, error? }  a request completed or failed
 * - `tsnats:js.api`     { subject, ms, error? }  a JetStream API request completed or failed
 * - `tsnats:js.publish` { subject, ms, stream?, seq?, duplicate?, error? } a JetStream publish was acked or failed
 * Outside Node (browsers) the channels are inert.
 */
export interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

interface DiagnosticsModule {
  channel(name: string): Channel;
}

const inert: Channel = { hasSubscribers: false, publish() {} };

function load(): DiagnosticsModule | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return p?.getBuiltinModule?.("node:diagnostics_channel") as DiagnosticsModule | undefined;
  } catch {
    return undefined;
  }
}

const dc = load();
function ch(name: string): Channel {
  return dc ? dc.channel(name) : inert;
}

export const channels = {
  connect: ch("tsnats:connect"),
  connected: ch("tsnats:connected"),
  disconnect: ch("tsnats:disconnect"),
  reconnect: ch("tsnats:reconnect"),
  close: ch("tsnats:close"),
  publish: ch("tsnats:publish"),
  request: ch("tsnats:request"),
  jsApi: ch("tsnats:js.api"),
  jsPublish: ch("tsnats:js.publish"),
};

export function publishEvent(c: Channel, message: unknown): void {
  if (c.hasSubscribers) c.publish(message);
}
