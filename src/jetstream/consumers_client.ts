// `js.consumers`: handles on consumers to read from (pull, ordered, push).
import { InvalidArgumentError } from "../util/errors.js";
import { checkCallOptions, throwIfAborted } from "../util/abort.js";
import type { ApiCallOptions, JsApi } from "./api.js";
import { consumerInfo } from "./consumer_handle.js";
import { PullConsumer } from "./pull_consumer.js";
import { OrderedConsumer, type OrderedConsumerOptions } from "./ordered_consumer.js";
import { PushConsumer } from "./push_consumer.js";
import { checkKeys, checkName } from "./validate.js";

function checkCall(opts: ApiCallOptions | undefined, what: string): void {
  checkKeys(opts, ["timeout", "signal"], what);
  checkCallOptions(opts);
}

export class ConsumersClient {
  constructor(private readonly api: JsApi) {}

  /**
   * A pull consumer by name (rejects with ConsumerNotFoundError when there is none), or, without a
   * name or with options, an ordered consumer (the stream's existence is checked). `call`:
   * `{ timeout?, signal? }` of the lookup.
   */
  get(stream: string, name: string, call?: ApiCallOptions): Promise<PullConsumer>;
  get(stream: string, opts?: OrderedConsumerOptions, call?: ApiCallOptions): Promise<OrderedConsumer>;
  async get(stream: string, nameOrOpts?: string | OrderedConsumerOptions, call?: ApiCallOptions): Promise<PullConsumer | OrderedConsumer> {
    checkName(stream, "stream name");
    checkCall(call, "consumers.get");
    if (typeof nameOrOpts === "string") {
      checkName(nameOrOpts, "consumer name");
      const ci = await consumerInfo(this.api, stream, nameOrOpts, call);
      if (ci.config.deliver_subject) throw new InvalidArgumentError(`consumer '${nameOrOpts}' is a push consumer: use getPushConsumer()`);
      return new PullConsumer(this.api, ci);
    }
    const oc = new OrderedConsumer(this.api, stream, nameOrOpts ?? {});
    throwIfAborted(call?.signal);
    await oc.check(call);
    return oc;
  }

  /** A push consumer by name (its config has a deliver subject). */
  async getPushConsumer(stream: string, name: string, call?: ApiCallOptions): Promise<PushConsumer> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    checkCall(call, "getPushConsumer");
    const ci = await consumerInfo(this.api, stream, name, call);
    if (!ci.config.deliver_subject) throw new InvalidArgumentError(`consumer '${name}' is a pull consumer: use get()`);
    return new PushConsumer(this.api, ci);
  }
}
