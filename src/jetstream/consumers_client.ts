// `js.consumers`: handles on consumers to read from (pull, ordered, push).
import { InvalidArgumentError } from "../util/errors.js";
import type { JsApi } from "./api.js";
import { consumerInfo } from "./consumer_handle.js";
import { PullConsumer } from "./pull_consumer.js";
import { OrderedConsumer, type OrderedConsumerOptions } from "./ordered_consumer.js";
import { PushConsumer } from "./push_consumer.js";
import { checkName } from "./validate.js";

export class ConsumersClient {
  constructor(private readonly api: JsApi) {}

  /**
   * A pull consumer by name (rejects with ConsumerNotFoundError when there is none), or, without a
   * name or with options, an ordered consumer.
   */
  get(stream: string, name: string): Promise<PullConsumer>;
  get(stream: string, opts?: OrderedConsumerOptions): Promise<OrderedConsumer>;
  async get(stream: string, nameOrOpts?: string | OrderedConsumerOptions): Promise<PullConsumer | OrderedConsumer> {
    checkName(stream, "stream name");
    if (typeof nameOrOpts === "string") {
      checkName(nameOrOpts, "consumer name");
      const ci = await consumerInfo(this.api, stream, nameOrOpts);
      if (ci.config.deliver_subject) throw new InvalidArgumentError(`consumer '${nameOrOpts}' is a push consumer: use getPushConsumer()`);
      return new PullConsumer(this.api, ci);
    }
    const oc = new OrderedConsumer(this.api, stream, nameOrOpts ?? {});
    await oc.check();
    return oc;
  }

  /** A push consumer by name (its config has a deliver subject). */
  async getPushConsumer(stream: string, name: string): Promise<PushConsumer> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    const ci = await consumerInfo(this.api, stream, name);
    if (!ci.config.deliver_subject) throw new InvalidArgumentError(`consumer '${name}' is a pull consumer: use get()`);
    return new PushConsumer(this.api, ci);
  }
}
