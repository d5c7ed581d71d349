import { MongoClient, type Db } from 'mongodb';
import type { Config } from './config';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

/** Works unchanged with MongoDB, Atlas or the embedded FerretDB. */
export async function connectMongo(config: Pick<Config, 'MONGODB_URI' | 'MONGODB_DB'>): Promise<Mongo> {
  const client = new MongoClient(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000, appName: 'identity-runbooks' });
  await client.connect();
  return { client, db: client.db(config.MONGODB_DB) };
}
