export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__testServers;
  await Promise.all([servers?.temporal.teardown(), servers?.ferretdb?.stop()]);
}
