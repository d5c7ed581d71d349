// Worker SDK logs at WARN and above only, so test output shows what matters.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });

// The contract fakes and emulators listen on plain http on 127.0.0.1: the development switch. Tests of the
// refusal itself pass allowInsecure explicitly (test/security/).
process.env.ALLOW_INSECURE_PLATFORM_URLS ??= 'true';
