/**
 * What other packages' tests and benches reuse (`@shanshui/edge-agent/testing`): real protocol
 * peers to run the agent against — an OPC-UA server, Modbus slaves on TCP and on a serial pty
 * pair — and a free TCP port.
 */
export { freePort } from './free-port.fixture.ts';
export { NS, startTestOpcuaServer } from './sources/opcua/test-server.fixture.ts';
export type { TestOpcuaServer, TestOpcuaServerOptions } from './sources/opcua/test-server.fixture.ts';
export { RegisterBank, startPtyPair, startRtuSlave, startTcpSlave } from './sources/modbus/test-slaves.fixture.ts';
export type { TestSlave } from './sources/modbus/test-slaves.fixture.ts';
