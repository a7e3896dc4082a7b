/**
 * What the local gRPC servers of the tests (Grafeas, Security Command Center) share: a service loaded
 * from the `.proto` files a Google client library ships (so the wire format is the one the real client
 * speaks), served on a free loopback port without TLS, with one method implemented and every other one
 * answering UNIMPLEMENTED.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** `servicePath`: the package path of the service in the proto, e.g. `['grafeas', 'v1', 'Grafeas']`. */
export function loadProtoService(
  protoFile: string,
  includeDirs: string[],
  servicePath: string[],
): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(protoFile, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs,
  });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of servicePath) node = (node as Record<string, unknown>)[part];
  return (node as grpc.ServiceClientConstructor).service;
}

export interface RunningServer {
  /** `127.0.0.1`: pass as the client's `apiEndpoint`. */
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function serveOneMethod(
  service: grpc.ServiceDefinition,
  method: string,
  handler: grpc.UntypedHandleCall,
): Promise<RunningServer> {
  const server = new grpc.Server();
  const unimplemented: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the test server' });
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, definition] of Object.entries(service)) {
    // Keys are both the proto name (`ListOccurrences`) and originalName (`listOccurrences`); use the former.
    if (definition.path.endsWith(`/${name}`)) handlers[name] = unimplemented;
  }
  handlers[method] = handler;
  server.addService(service, handlers);
  const host = '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { host, port, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** Several services on one server (e.g. an API's v1 and v2), each with the methods given implemented. */
export async function serveMethods(
  services: Array<{ service: grpc.ServiceDefinition; handlers: Record<string, grpc.UntypedHandleCall> }>,
): Promise<RunningServer> {
  const server = new grpc.Server();
  const unimplemented: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not implemented by the test server' });
  for (const { service, handlers: implemented } of services) {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, definition] of Object.entries(service)) {
      if (definition.path.endsWith(`/${name}`)) handlers[name] = implemented[name] ?? unimplemented;
    }
    server.addService(service, handlers);
  }
  const host = '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { host, port, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
