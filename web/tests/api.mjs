// The generated clients for the tests' own calls (the "other client" of the board test, the
// set-up of the day, the direct GetStatistics): connect-web's grpc-web transport runs on Node's
// fetch, so the tests speak to `mediation serve` exactly as the browser does.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AppointmentService } from "../src/gen/mediation/appointments/v1/appointments_pb.js";
import { DirectoryService } from "../src/gen/mediation/directory/v1/directory_pb.js";
import { DispatchService } from "../src/gen/mediation/dispatch/v1/dispatch_pb.js";
import { IdentityService } from "../src/gen/mediation/identity/v1/identity_pb.js";

export function connect(baseUrl, token) {
  const interceptors = token
    ? [(next) => async (request) => {
        request.header.set("authorization", `Bearer ${token}`);
        return next(request);
      }]
    : [];
  const transport = createGrpcWebTransport({ baseUrl, interceptors });
  return {
    identity: createClient(IdentityService, transport),
    directory: createClient(DirectoryService, transport),
    appointments: createClient(AppointmentService, transport),
    dispatch: createClient(DispatchService, transport),
  };
}

export async function login(baseUrl, loginName, password) {
  const tokens = await connect(baseUrl).identity.login({ login: loginName, password });
  return tokens.accessToken;
}
