// Stream management: `jsm.streams`.
import { InvalidArgumentError } from "../util/errors.js";
import type { JsApi, ApiCallOptions } from "./api.js";
import { droppedField, guardStreamConfig, notApplied } from "./config_check.js";
import { streamConfigToWire, streamInfoFromWire } from "./durations.js";
import { JetStreamApiError, StreamNotFoundError } from "./errors.js";
import { checkFilter, checkKeys, checkName, checkPositiveInt, checkStreamConfig } from "./validate.js";
import { storedFromApi, type ApiStoredMsg } from "./stored_msg.js";
import type { DirectGets } from "./direct.js";
import type { MsgRequest, PurgeOpts, PurgeResponse, StoredMsg, StreamConfig, StreamInfo, StreamInfoRequestOptions } from "./types.js";

type Paged = { total: number; offset: number; limit: number };

/** `sources[].domain` / `mirror.domain` → `external.api` of that domain (ADR-19). */
function resolveSourceDomains(cfg: Record<string, unknown>): void {
  const fix = (s: Record<string, unknown>): void => {
    if (s.domain === undefined) return;
    if (s.external) throw new InvalidArgumentError(`source '${String(s.name)}': domain and external are mutually exclusive`);
    s.external = { api: `$JS.${String(s.domain)}.API` };
    delete s.domain;
  };
  if (cfg.mirror) fix(cfg.mirror as Record<string, unknown>);
  for (const s of (cfg.sources as Record<string, unknown>[] | undefined) ?? []) fix(s);
}

/** Stream management through the JetStream API. */
export class Streams {
  /** Streams known to allow direct get (filled by info/add/update). */
  readonly #direct = new Map<string, boolean>();

  constructor(
    private readonly api: JsApi,
    private readonly direct: DirectGets,
  ) {}

  #remember(si: StreamInfo): StreamInfo {
    this.#direct.set(si.config.name, si.config.allow_direct === true);
    return si;
  }

  async #send(op: "CREATE" | "UPDATE", cfg: StreamConfig, opts?: ApiCallOptions): Promise<StreamInfo> {
    const wire = streamConfigToWire(cfg);
    resolveSourceDomains(wire);
    const si = await this.api.request<StreamInfo & { type?: string; did_create?: boolean }>(`STREAM.${op}.${cfg.name}`, wire, opts);
    delete si.type;
    delete si.did_create;
    streamInfoFromWire(si as unknown as Record<string, unknown>);
    return this.#remember(si);
  }

  /**
   * Creates a stream. Fields the server is too old for are refused before sending
   * (`FeatureNotSupportedError`); a field the server did not keep rejects with `ConfigNotAppliedError`
   * (the stream is left as the server made it).
   */
  async add(cfg: StreamConfig, opts?: ApiCallOptions): Promise<StreamInfo> {
    checkStreamConfig(cfg);
    guardStreamConfig(this.api.nc, cfg);
    const si = await this.#send("CREATE", cfg, opts);
    // Not deleted on a mismatch: the stream may have existed before this call, with its data.
    const dropped = droppedField(cfg, si.config, ["sources", "mirror"]);
    if (dropped) throw notApplied(this.api.nc, "stream config", dropped);
    return si;
  }

  /** Updates a stream: `cfg` is merged into its current config. */
  async update(name: string, cfg: Partial<StreamConfig> = {}, opts?: ApiCallOptions): Promise<StreamInfo> {
    checkName(name, "stream name");
    checkStreamConfig(cfg, false);
    if (cfg.name !== undefined && cfg.name !== name) throw new InvalidArgumentError(`config name '${cfg.name}' differs from the stream '${name}'`);
    guardStreamConfig(this.api.nc, cfg);
    const current = (await this.info(name, undefined, opts)).config;
    const merged = { ...current, ...cfg, name } as StreamConfig;
    const si = await this.#send("UPDATE", merged, opts);
    const dropped = droppedField(cfg, si.config, ["sources", "mirror"]);
    if (dropped) {
      await this.#send("UPDATE", current).catch(() => undefined);
      throw notApplied(this.api.nc, "stream config", dropped);
    }
    return si;
  }

  /**
   * Stream info. With `subjects_filter`, `state.subjects` holds every matching subject (all pages);
   * with `deleted_details`, `state.deleted` lists the deleted sequences.
   */
  async info(name: string, req?: StreamInfoRequestOptions, opts?: ApiCallOptions): Promise<StreamInfo> {
    checkName(name, "stream name");
    checkKeys(req, ["deleted_details", "subjects_filter"], "stream info");
    if (req?.subjects_filter !== undefined) checkFilter(req.subjects_filter, "subjects_filter");
    let offset = 0;
    let si: (StreamInfo & Partial<Paged>) | undefined;
    let subjects: Record<string, number> | undefined;
    for (;;) {
      const body = req && (req.deleted_details || req.subjects_filter) ? { ...req, offset } : undefined;
      const r = await this.api.request<StreamInfo & Partial<Paged>>(`STREAM.INFO.${name}`, body, opts);
      si ??= r;
      const page = r.state?.subjects;
      if (!req?.subjects_filter || !page) break;
      subjects = { ...subjects, ...page };
      offset += Object.keys(page).length;
      if (!r.total || offset >= r.total || Object.keys(page).length === 0) break;
    }
    if (subjects) si.state.subjects = subjects;
    delete si.total;
    delete si.offset;
    delete si.limit;
    streamInfoFromWire(si as unknown as Record<string, unknown>);
    return this.#remember(si);
  }

  /** Deletes a stream; resolves true. */
  async delete(name: string, opts?: ApiCallOptions): Promise<boolean> {
    checkName(name, "stream name");
    const r = await this.api.request<{ success: boolean }>(`STREAM.DELETE.${name}`, undefined, opts);
    this.#direct.delete(name);
    return r.success;
  }

  /** Purges a stream, or part of it (`filter`, `seq` or `keep`). */
  async purge(name: string, req?: PurgeOpts, opts?: ApiCallOptions): Promise<PurgeResponse> {
    checkName(name, "stream name");
    checkKeys(req, ["filter", "seq", "keep"], "purge");
    if (req?.seq !== undefined && req.keep !== undefined) throw new InvalidArgumentError("purge: seq and keep are mutually exclusive");
    if (req?.filter !== undefined) checkFilter(req.filter, "purge filter");
    if (req?.seq !== undefined) checkPositiveInt(req.seq, "purge seq");
    if (req?.keep !== undefined) checkPositiveInt(req.keep, "purge keep", true);
    const r = await this.api.request<PurgeResponse & { type?: string }>(`STREAM.PURGE.${name}`, req && Object.keys(req).length ? req : undefined, opts);
    return { success: r.success, purged: r.purged };
  }

  /** Every stream's info (optionally only streams with a subject matching `subject`), paged. */
  async *list(subject?: string): AsyncGenerator<StreamInfo> {
    if (subject !== undefined) checkFilter(subject, "subject");
    const pages = this.api.paged<Paged & { streams?: StreamInfo[] }, StreamInfo>("STREAM.LIST", subject ? { subject } : {}, (r) => r.streams);
    for await (const si of pages) {
      streamInfoFromWire(si as unknown as Record<string, unknown>);
      yield this.#remember(si);
    }
  }

  /** Every stream's name (optionally only streams with a subject matching `subject`), paged. */
  names(subject?: string): AsyncGenerator<string> {
    if (subject !== undefined) checkFilter(subject, "subject");
    return this.api.paged<Paged & { streams?: string[] }, string>("STREAM.NAMES", subject ? { subject } : {}, (r) => r.streams);
  }

  /** The name of the stream that captures `subject`; rejects with StreamNotFoundError when none does. */
  async find(subject: string, opts?: ApiCallOptions): Promise<string> {
    checkFilter(subject, "subject");
    const r = await this.api.request<{ streams?: string[] | null }>("STREAM.NAMES", { subject }, opts);
    const name = r.streams?.[0];
    if (!name) throw new StreamNotFoundError({ code: 404, err_code: 10059, description: `no stream matches subject '${subject}'` });
    return name;
  }

  /**
   * A stored message by sequence, last on a subject, or next on a subject from a sequence; null when
   * there is none. Uses direct get when the stream allows it, else the leader (STREAM.MSG.GET).
   */
  async getMessage(name: string, query: MsgRequest, opts?: ApiCallOptions): Promise<StoredMsg | null> {
    checkName(name, "stream name");
    checkMsgRequest(query);
    let direct = this.#direct.get(name);
    if (direct === undefined) direct = (await this.info(name, undefined, opts)).config.allow_direct === true;
    if (direct) {
      try {
        return await this.direct.getMessage(name, query, opts);
      } catch (err) {
        // allow_direct may have been turned off by someone else: forget it and ask the leader
        if (!(err instanceof JetStreamApiError && err.status === 503)) throw err;
        this.#direct.set(name, false);
      }
    }
    try {
      const r = await this.api.request<{ message: ApiStoredMsg }>(`STREAM.MSG.GET.${name}`, query, opts);
      return storedFromApi(r.message);
    } catch (err) {
      if ((err as { code?: string }).code === "MESSAGE_NOT_FOUND") return null;
      throw err;
    }
  }

  /** Deletes one message; `erase` (default true) overwrites its bytes. Resolves true. */
  async deleteMessage(name: string, seq: number, erase = true, opts?: ApiCallOptions): Promise<boolean> {
    checkName(name, "stream name");
    checkPositiveInt(seq, "seq");
    const r = await this.api.request<{ success: boolean }>(`STREAM.MSG.DELETE.${name}`, erase ? { seq } : { seq, no_erase: true }, opts);
    return r.success;
  }
}

/** One of `{seq}`, `{last_by_subj}`, `{next_by_subj, seq?}`. */
export function checkMsgRequest(q: unknown): asserts q is MsgRequest {
  checkKeys(q, ["seq", "last_by_subj", "next_by_subj"], "message query");
  const r = (q ?? {}) as { seq?: unknown; last_by_subj?: unknown; next_by_subj?: unknown };
  const kinds = [r.seq !== undefined && r.next_by_subj === undefined, r.last_by_subj !== undefined, r.next_by_subj !== undefined].filter(Boolean).length;
  if (kinds !== 1) throw new InvalidArgumentError("message query: give exactly one of { seq }, { last_by_subj } or { next_by_subj, seq? }");
  if (r.seq !== undefined) checkPositiveInt(r.seq, "seq", r.next_by_subj !== undefined);
  if (r.last_by_subj !== undefined) checkFilter(r.last_by_subj, "last_by_subj");
  if (r.next_by_subj !== undefined) checkFilter(r.next_by_subj, "next_by_subj");
}
