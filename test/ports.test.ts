import { createServer } from 'node:net';
import { assertPortsFree, freePort } from '../scripts/processes';

it('names a taken port and the variable that moves it', async () => {
  const port = await freePort();
  const server = createServer().listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    await expect(assertPortsFree([{ port, what: 'the API', variable: 'API_PORT' }])).rejects.toThrow(
      `port ${port} (the API) is already in use: set API_PORT to a free port`,
    );
  } finally {
    server.close();
  }
});

it('passes when every port is free', async () => {
  await expect(
    assertPortsFree([{ port: await freePort(), what: 'FerretDB', variable: 'FERRETDB_PORT' }]),
  ).resolves.toBeUndefined();
});
