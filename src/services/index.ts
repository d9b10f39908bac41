// tsnats/services: the Service API ("micro", ADR-32): services with endpoints and groups that
// answer $SRV discovery and monitoring, and a client to discover them. Built on the public core API.
export { Svcm } from "./svcm.js";
export { Service } from "./service.js";
export { ServiceGroup, type HandlerEndpoint } from "./group.js";
export { ServiceClient } from "./client.js";
export { ServiceError, ServiceHandlerError, ServiceStoppedError, ServiceErrorHeader, ServiceErrorCodeHeader, serviceError, serviceErrorHeaders } from "./errors.js";
export { controlSubject } from "./subjects.js";
export * from "./types.js";
