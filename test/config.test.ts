import { parseConfig } from '../infra/config';

describe('configuration from the environment', () => {
  it('applies defaults for the embedded setup', () => {
    const config = parseConfig({});
    expect(config.API_PORT).toBe(3000);
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.MONGODB_DB).toBe('identity_runbooks');
  });

  it('names the wrong variable and what is wrong, in one line', () => {
    expect(() => parseConfig({ API_PORT: 'eighty' })).toThrow(/^invalid configuration: API_PORT .+$/);
    expect(() => parseConfig({ MONGODB_URI: 'postgres://x' })).toThrow(
      'invalid configuration: MONGODB_URI must start with mongodb:// or mongodb+srv://',
    );
  });

  it('requires a TLS certificate and key together', () => {
    expect(() => parseConfig({ TEMPORAL_TLS_CERT_PATH: '/tmp/cert.pem' })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
    expect(parseConfig({ TEMPORAL_TLS_CERT_PATH: '/a', TEMPORAL_TLS_KEY_PATH: '/b' }).TEMPORAL_TLS_KEY_PATH).toBe('/b');
  });

  it('accepts only an http(s) public base URL', () => {
    expect(parseConfig({ PUBLIC_BASE_URL: 'https://runbooks.example.com' }).PUBLIC_BASE_URL).toBe(
      'https://runbooks.example.com',
    );
    expect(() => parseConfig({ PUBLIC_BASE_URL: 'ftp://example.com' })).toThrow(
      'invalid configuration: PUBLIC_BASE_URL must be an http(s) URL',
    );
  });

  it('never accepts a short admin key', () => {
    expect(() => parseConfig({ ADMIN_API_KEY: 'short' })).toThrow(/ADMIN_API_KEY must be at least 24 characters/);
  });
});
