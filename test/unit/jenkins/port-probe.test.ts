/** The Jenkins port probe against real sockets: a listener is seen, a closed port is free. */
import * as net from 'node:net';
import { jenkinsAddress, probePort } from '../../../src/jenkins/port-probe';

test('sees a listener on the port of jenkins.url', async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    expect(await probePort(`http://127.0.0.1:${port}/jenkins`, 2000)).toEqual({ kind: 'listening', address: `127.0.0.1:${port}` });
  } finally {
    await new Promise((r) => server.close(r));
  }
  expect(await probePort(`http://127.0.0.1:${port}`, 2000)).toEqual({ kind: 'free' });
});

test('derives host and port from the URL, with the scheme default', () => {
  expect(jenkinsAddress('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
  expect(jenkinsAddress('https://ci.example.com/')).toEqual({ host: 'ci.example.com', port: 443 });
  expect(jenkinsAddress('http://[::1]/')).toEqual({ host: '::1', port: 80 });
});
