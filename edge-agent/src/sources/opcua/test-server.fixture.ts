/**
 * A real node-opcua server for the tests: a pump and a gate with writable variables and a
 * method, the way a PLC's OPC-UA server in a pump station exposes them. It can be shut down and
 * started again on the same port with the same certificate (a server restart).
 */
import path from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  nodesets,
} from 'node-opcua';
import type { CallMethodResultOptions, INamespace, ISessionContext, UAVariable, VariantLike, StatusCode } from 'node-opcua';

export { freePort } from '../../free-port.fixture.ts';

export const NS = 'ns=1';

export interface TestOpcuaServer {
  readonly port: number;
  readonly endpointUrl: string;
  readonly server: OPCUAServer;
  /** Variables by browse path, e.g. `Pump1.Flow`. */
  readonly variables: ReadonlyMap<string, UAVariable>;
  /** Arguments of every `Gate1.MoveTo` call. */
  readonly methodCalls: number[];
  set(name: string, value: VariantLike, statusCode?: StatusCode, sourceTimestamp?: Date): void;
  get(name: string): unknown;
  shutdown(): Promise<void>;
}

export interface TestOpcuaServerOptions {
  port: number;
  pkiDir: string;
  /**
   * Adds nodes of a test's own before the server starts listening (so no client sees the
   * address space without them, also after a restart); variables put in `variables` work with
   * `set`/`get`. Default none.
   */
  extend?: (namespace: INamespace, variables: Map<string, UAVariable>) => void;
}

export async function startTestOpcuaServer(options: TestOpcuaServerOptions): Promise<TestOpcuaServer> {
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(options.pkiDir, 'server'),
    automaticallyAcceptUnknownCertificate: true,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(options.pkiDir, 'user'),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    port: options.port,
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard],
    serverCertificateManager,
    userCertificateManager,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    buildInfo: { productName: 'shanshui-test-plc' },
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('server has no address space');
  const namespace = addressSpace.getOwnNamespace();
  const variables = new Map<string, UAVariable>();
  const methodCalls: number[] = [];

  const pump = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Pump1', nodeId: 's=Pump1' });
  const gate = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Gate1', nodeId: 's=Gate1' });
  const add = (parent: typeof pump, name: string, dataType: DataType, value: unknown): void => {
    const variable = namespace.addVariable({
      componentOf: parent,
      browseName: name.split('.')[1] ?? name,
      nodeId: `s=${name}`,
      dataType,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 50,
      value: new Variant({ dataType, value }),
    });
    variables.set(name, variable);
  };
  add(pump, 'Pump1.Flow', DataType.Double, 10);
  add(pump, 'Pump1.Running', DataType.Boolean, false);
  add(pump, 'Pump1.Speed', DataType.UInt16, 0);
  add(pump, 'Pump1.Mode', DataType.String, 'auto');
  add(gate, 'Gate1.Open', DataType.Boolean, false);
  add(gate, 'Gate1.Position', DataType.Double, 0);

  const moveTo = namespace.addMethod(gate, {
    browseName: 'MoveTo',
    nodeId: 's=Gate1.MoveTo',
    inputArguments: [{ name: 'target', dataType: DataType.Double }],
    outputArguments: [{ name: 'reached', dataType: DataType.Boolean }],
  });
  moveTo.bindMethod(async (inputArguments: Variant[], _context: ISessionContext): Promise<CallMethodResultOptions> => {
    const target = inputArguments[0]?.value as number;
    methodCalls.push(target);
    variables.get('Gate1.Position')?.setValueFromSource({ dataType: DataType.Double, value: target });
    return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.Boolean, value: true }] };
  });
  options.extend?.(namespace, variables);

  await server.start();
  const endpointUrl = `opc.tcp://127.0.0.1:${options.port}`;
  return {
    port: options.port,
    endpointUrl,
    server,
    variables,
    methodCalls,
    set(name, value, statusCode, sourceTimestamp) {
      const variable = variables.get(name);
      if (!variable) throw new Error(`no variable ${name}`);
      variable.setValueFromSource(value, statusCode ?? StatusCodes.Good, sourceTimestamp ?? new Date());
    },
    get(name) {
      return variables.get(name)?.readValue().value.value;
    },
    async shutdown() {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await userCertificateManager.dispose();
    },
  };
}
