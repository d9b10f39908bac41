// The monitoring subjects: `$SRV.<verb>`, `$SRV.<verb>.<name>`, `$SRV.<verb>.<name>.<id>` (ADR-32).
import { InvalidArgumentError } from "../core.js";
import type { ServiceVerb } from "./types.js";
import { checkServiceName } from "./validate.js";

export const DEFAULT_API_PREFIX = "$SRV";
export const VERBS: readonly ServiceVerb[] = ["PING", "INFO", "STATS"];

/** The subject that reaches every service (no name), every instance of `name`, or one instance. */
export function controlSubject(verb: ServiceVerb, name = "", id = "", prefix = DEFAULT_API_PREFIX): string {
  if (name === "") {
    if (id !== "") throw new InvalidArgumentError("a service id needs the service's name");
    return `${prefix}.${verb}`;
  }
  checkServiceName(name, "service name");
  if (id === "") return `${prefix}.${verb}.${name}`;
  checkServiceName(id, "service id");
  return `${prefix}.${verb}.${name}.${id}`;
}
