// The one way the consoles reach the server: grpc-web (connect-web's transport) on the origin
// that served the page, with clients generated from ../proto. No private back door: every
// screen uses the public API the phone apps use, with the caller's own bearer token.
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { AppointmentService } from "./gen/mediation/appointments/v1/appointments_pb.js";
import { DirectoryService } from "./gen/mediation/directory/v1/directory_pb.js";
import { DispatchService } from "./gen/mediation/dispatch/v1/dispatch_pb.js";
import { IdentityService } from "./gen/mediation/identity/v1/identity_pb.js";
import { RatingService } from "./gen/mediation/ratings/v1/ratings_pb.js";

/** Where a console keeps its access token: per tab, gone when the tab closes. */
export class Session {
  constructor(private readonly key: string) {}
  get token(): string | null {
    return sessionStorage.getItem(this.key);
  }
  set token(value: string | null) {
    if (value) sessionStorage.setItem(this.key, value);
    else sessionStorage.removeItem(this.key);
  }
}

/** The clients of every service, sending `token()` as the bearer token when there is one. */
export function clients(token: () => string | null) {
  const bearer: Interceptor = (next) => async (request) => {
    const t = token();
    if (t) request.header.set("authorization", `Bearer ${t}`);
    return next(request);
  };
  const transport = createGrpcWebTransport({ baseUrl: window.location.origin, interceptors: [bearer] });
  const make = <S extends DescService>(service: S): Client<S> => createClient(service, transport);
  return {
    identity: make(IdentityService),
    directory: make(DirectoryService),
    appointments: make(AppointmentService),
    ratings: make(RatingService),
    dispatch: make(DispatchService),
  };
}
export type Clients = ReturnType<typeof clients>;

const ERROR_INFO = "google.rpc.ErrorInfo";

/** The ErrorInfo reason of a refused call (PLAN_STALE, SLOT_TAKEN, ...), or "" when it has none. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof ConnectError)) return "";
  for (const detail of error.details) {
    if (!("type" in detail) || detail.type !== ERROR_INFO) continue;
    // ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
    const reader = new BinaryReader(detail.value);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1) return reader.string();
      reader.skip(wireType);
    }
  }
  return "";
}

export function codeOf(error: unknown): Code | undefined {
  return error instanceof ConnectError ? error.code : undefined;
}

export function messageOf(error: unknown): string {
  if (error instanceof ConnectError) {
    const reason = reasonOf(error);
    return `${Code[error.code]}${reason ? ` / ${reason}` : ""}: ${error.rawMessage}`;
  }
  return String(error);
}

/** A client-chosen id for creates (AIP-155): a retry with the same id replays the first answer. */
export function requestId(): string {
  return crypto.randomUUID();
}

export { Code, ConnectError };
