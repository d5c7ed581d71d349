import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { encryptingDataConverter } from './codec';
import type { Config } from './config';

type TlsSettings = NonNullable<ConnectionOptions['tls']>;

/** TLS for Temporal Cloud / a TLS cluster: client certificate (mTLS) and/or API key. */
async function tlsSettings(config: Config): Promise<TlsSettings | undefined> {
  const {
    TEMPORAL_TLS_CERT_PATH: cert,
    TEMPORAL_TLS_KEY_PATH: key,
    TEMPORAL_TLS_CA_PATH: ca,
    TEMPORAL_TLS_SERVER_NAME: serverName,
  } = config;
  if (!cert && !ca && !serverName && !config.TEMPORAL_API_KEY) return undefined;
  const tls: TlsSettings = {};
  if (serverName) tls.serverNameOverride = serverName;
  if (ca) tls.serverRootCACertificate = await readFile(ca);
  if (cert && key) tls.clientCertPair = { crt: await readFile(cert), key: await readFile(key) };
  return tls;
}

export async function connectClient(config: Config): Promise<Client> {
  const tls = await tlsSettings(config);
  const connection = await Connection.connect({
    address: config.TEMPORAL_ADDRESS,
    tls: tls ?? (config.TEMPORAL_API_KEY ? true : undefined),
    apiKey: config.TEMPORAL_API_KEY,
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(config) });
}

/** Payload encryption for clients and workers; none when no keys are configured. */
export function dataConverterFor(config: Pick<Config, 'PAYLOAD_ENCRYPTION_KEYS'>): DataConverter | undefined {
  return config.PAYLOAD_ENCRYPTION_KEYS ? encryptingDataConverter(config.PAYLOAD_ENCRYPTION_KEYS) : undefined;
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const tls = await tlsSettings(config);
  const options: NativeConnectionOptions = {
    address: config.TEMPORAL_ADDRESS,
    tls: tls ?? (config.TEMPORAL_API_KEY ? true : undefined),
    apiKey: config.TEMPORAL_API_KEY,
  };
  return NativeConnection.connect(options);
}
