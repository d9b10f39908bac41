// INFO fields that differ between server generations: nats-server 2.11 added `api_lvl` (the
// JetStream API level), 2.10 added `xkey`; 2.9.10 sends neither. The client keeps whatever the
// server sent, and exposes the version it reports.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";

describe("server INFO across versions", () => {
  const srv = useServer({ server: { jetstream: true } });

  it("reports the server's version and, from 2.11 on, its JetStream API level", async () => {
    const nc = await srv.connect();
    assert.equal(nc.info?.version, srv.server.version);
    assert.equal(nc.info?.jetstream, true);
    if (srv.server.atLeast("2.11.0")) {
      assert.equal(typeof nc.info?.api_lvl, "number");
      assert.ok(nc.info!.api_lvl! >= 1, `api_lvl ${nc.info?.api_lvl}`);
    } else {
      assert.equal(nc.info?.api_lvl, undefined);
    }
  });

  it("carries xkey from 2.10 on", async () => {
    const nc = await srv.connect();
    if (srv.server.atLeast("2.10.0")) assert.match(String(nc.info?.xkey), /^X[A-Z2-7]{55}$/);
    else assert.equal(nc.info?.xkey, undefined);
  });
});
